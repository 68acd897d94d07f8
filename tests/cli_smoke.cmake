# CLI smoke test: the commands a new user types first must work and fail cleanly.
# Run by ctest with -DBELLMAN=<path to the bellman binary>.
function(run_ok)
  execute_process(COMMAND ${BELLMAN} ${ARGN} RESULT_VARIABLE rc OUTPUT_VARIABLE out
                  ERROR_VARIABLE err)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "bellman ${ARGN} failed (${rc}): ${out} ${err}")
  endif()
  set(OUT "${out}" PARENT_SCOPE)
endfunction()

function(expect_in text needle)
  string(FIND "${text}" "${needle}" pos)
  if(pos EQUAL -1)
    message(FATAL_ERROR "expected '${needle}' in:\n${text}")
  endif()
endfunction()

run_ok(envs)
expect_in("${OUT}" "CartPole-v1")
expect_in("${OUT}" "Discrete(2)")
expect_in("${OUT}" "Taxi-v3 (= Taxi-v4)")

run_ok(solve --env FrozenLake-v1 --gamma 0.99)
expect_in("${OUT}" "iterations")
run_ok(solve --env FourRooms-v0 --gamma 0.9 --options hallways+primitives --method policy_iteration)
expect_in("${OUT}" "SMDP policy_iteration over 12 options")
run_ok(alphazero --iterations 1 --games 2 --train-steps 1 --simulations 8 --eval-simulations 4)
expect_in("${OUT}" "iteration   1:     2 games")
expect_in("${OUT}" "against a perfect player")
run_ok(game --env IteratedPrisonersDilemma-v0 --method nash_q --gamma 0 --steps 300)
expect_in("${OUT}" "Nash-Q on IteratedPrisonersDilemma-v0")
run_ok(ipd --learners naive,naive --seeds 1 --steps 50)
expect_in("${OUT}" "learners naive vs naive")
run_ok(game --env MatrixGame-v0 --env-arg game=matching_pennies --method minimax_q --steps 500)
expect_in("${OUT}" "Minimax-Q on MatrixGame-v0 against random (seed 0): 500 steps, 500 episodes")

run_ok(bench envs --seconds 0.02 --ids CartPole-v1)
expect_in("${OUT}" "CartPole-v1")

# Bad input: one line on stderr, non-zero exit, a suggestion.
execute_process(COMMAND ${BELLMAN} solve --env FrozenLak-v1 RESULT_VARIABLE rc
                OUTPUT_VARIABLE out ERROR_VARIABLE err)
if(rc EQUAL 0)
  message(FATAL_ERROR "unknown env id was accepted")
endif()
expect_in("${err}" "did you mean 'FrozenLake-v1'")
execute_process(COMMAND ${BELLMAN} solve --env CartPole-v1 RESULT_VARIABLE rc
                OUTPUT_VARIABLE out ERROR_VARIABLE err)
if(rc EQUAL 0)
  message(FATAL_ERROR "solve on an env without P was accepted")
endif()
expect_in("${err}" "transition model")
