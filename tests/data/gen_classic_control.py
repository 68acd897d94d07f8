"""Records Gymnasium's classic-control trajectories for tests/envs/classic_control_test.cpp.

Run from the repository root with Debian's interpreter and the reference Gymnasium:
    PYTHONPATH=/work/gymref /usr/bin/python3 tests/data/gen_classic_control.py

Writes tests/data/classic_control_ref.json. Every env is built with gym.make, so the TimeLimit
(and the order enforcing / env checker wrappers) apply exactly as for a user.

Numbers are stored by their bits, so that the test compares bit for bit, and compactly (the
file stays under 300 KB):
  - float32 values (observations, Box actions) and float64 values (env.unwrapped.state): the
    little-endian IEEE-754 bytes of all values of one episode (obs_dim or state_dim per step),
    base64-encoded into one string; decode with np.frombuffer(base64.b64decode(s), "<f4")
    (or "<f8");
  - rewards: JSON numbers written with repr(), which round-trips exactly;
  - flags: one character per step, 0 = running, 1 = terminated, 2 = truncated, 3 = both.

NOTE: NumPy evaluates np.sin / np.cos on float64 with SVML when the CPU has AVX-512, and with
glibc otherwise. The reference (peers.md) has no AVX-512, so the script disables NumPy's AVX-512
dispatch before importing it and checks that np.cos is glibc's cos.
"""

import base64
import json
import math
import os
import sys

# The reference machine has no AVX-512, so NumPy computes float64 sin/cos with glibc there. On a
# machine with AVX-512, NumPy 1.24 would use Intel SVML kernels (different last bits); switching
# those CPU features off before NumPy is imported makes the recording the reference's anywhere.
os.environ["NPY_DISABLE_CPU_FEATURES"] = (
    "AVX512F AVX512CD AVX512_SKX AVX512_CLX AVX512_CNL AVX512_ICL")

import gymnasium as gym
import numpy as np

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "classic_control_ref.json")


def f32bytes(values):
    return np.asarray(values, dtype=np.float32).astype("<f4").tobytes()


def f64bytes(values):
    return np.asarray(values, dtype=np.float64).astype("<f8").tobytes()


def b64(raw):
    return base64.b64encode(raw).decode("ascii")


def f32b64(values):
    return b64(f32bytes(values))


def f64b64(values):
    return b64(f64bytes(values))


def state_of(env):
    # env.unwrapped.state as float64 (a tuple for MountainCar after a step, float32 for
    # MountainCarContinuous after a step and for Acrobot after reset).
    return [float(v) for v in env.unwrapped.state]


def check_svml():
    # np.cos(0.5) is 0x1.c1528065b7d4ep-1 with SVML and 0x1.c1528065b7d50p-1 with glibc.
    if float(np.cos(np.float64(0.5))) != math.cos(0.5):
        print("NumPy still uses SVML for float64 cos; the reference uses glibc.", file=sys.stderr)
        sys.exit(1)


# ---- policies: each takes (env, obs, rng) and returns the action to record and pass ----------

def random_discrete(n):
    return lambda env, obs, rng: int(rng.integers(n))


def random_box(low, high):
    # float32, as the test passes the same float32 values; bounds wider than the action space
    # exercise the envs' clipping.
    return lambda env, obs, rng: np.array([rng.uniform(low, high)], dtype=np.float32)


def cartpole_balance(env, obs, rng):
    return int(0.05 * obs[0] + 0.5 * obs[1] + 10 * obs[2] + 2 * obs[3] > 0)


def mountain_car_energy(env, obs, rng):
    return 2 if obs[1] >= 0 else 0


def mountain_car_continuous_energy(env, obs, rng):
    # push along the velocity with noise, sometimes beyond [-1, 1]
    push = 1.0 if obs[1] >= 0 else -1.0
    return np.array([push * rng.uniform(0.6, 1.3)], dtype=np.float32)


def zero_box(env, obs, rng):
    return np.array([0.0], dtype=np.float32)


def acrobot_pump(env, obs, rng):
    # torque along the second joint's velocity pumps energy: terminates in ~100 steps
    return 2 if env.unwrapped.state[3] > 0 else 0


def run_episodes(env_id, kwargs, episodes, action_rng_seed):
    """episodes: list of (seed or None, policy, max_steps or None). One env instance for all,
    so an episode with seed None continues the generator of the previous one."""
    env = gym.make(env_id, **kwargs)
    rng = np.random.default_rng(action_rng_seed)
    out = []
    for seed, policy, max_steps in episodes:
        obs, _ = env.reset(seed=seed)
        ep = {
            "seed": seed,
            "reset_obs": f32b64(obs),
            "reset_state": f64b64(state_of(env)),
            "actions": [],
            "rewards": [],
            "flags": "",
        }
        continuous = isinstance(env.action_space, gym.spaces.Box)
        actions_raw, obs_raw, state_raw = b"", b"", b""
        steps = 0
        while True:
            action = policy(env, obs, rng)
            obs, reward, terminated, truncated, _ = env.step(action)
            if continuous:
                actions_raw += f32bytes(action)
            else:
                ep["actions"].append(int(action))
            obs_raw += f32bytes(obs)
            state_raw += f64bytes(state_of(env))
            ep["rewards"].append(float(reward))
            ep["flags"] += str(int(terminated) + 2 * int(truncated))
            steps += 1
            if terminated or truncated or (max_steps is not None and steps >= max_steps):
                break
        if continuous:
            ep["actions"] = b64(actions_raw)
        ep["obs"] = b64(obs_raw)
        ep["state"] = b64(state_raw)
        out.append(ep)
    env.close()
    return {"env": env_id, "kwargs": kwargs, "episodes": out}


def set_state_case(env_id, kwargs, name, state, action):
    """Gymnasium's result of assigning env.unwrapped.state and stepping once (what bellman's
    SetState + Step do)."""
    env = gym.make(env_id, **kwargs)
    env.reset(seed=0)
    env.unwrapped.state = np.array(state, dtype=np.float64)
    if env_id.startswith("CartPole"):
        env.unwrapped.steps_beyond_terminated = None
    if isinstance(env.action_space, gym.spaces.Box):
        act = np.array([action], dtype=np.float32)
        action_rec = f32b64(act)
    else:
        act = int(action)
        action_rec = act
    obs, reward, terminated, truncated, _ = env.step(act)
    case = {
        "env": env_id,
        "kwargs": kwargs,
        "name": name,
        "state": f64b64(state),
        "action": action_rec,
        "obs": f32b64(obs),
        "reward": float(reward),
        "terminated": bool(terminated),
        "truncated": bool(truncated),
        "next_state": f64b64(state_of(env)),
    }
    env.close()
    return case


def up(x):
    return float(np.nextafter(x, np.inf))


def down(x):
    return float(np.nextafter(x, -np.inf))


def mountain_car_goal_state(goal, p0, continuous):
    """A state (p0, v0) whose step with no force lands exactly on position == goal (found by
    walking v0 ulp by ulp with Gymnasium's own arithmetic)."""
    def step(v0):
        if continuous:
            v = v0 + (np.float32(0.0) * 0.0015 - 0.0025 * math.cos(3 * p0))
        else:
            v = v0 + (0 * 0.001 + math.cos(3 * p0) * -0.0025)
        return p0 + v
    v0 = (goal - p0) + 0.0025 * math.cos(3 * p0)
    for _ in range(64):
        p = step(v0)
        if p == goal:
            return [p0, v0]
        v0 = down(v0) if p > goal else up(v0)
    raise RuntimeError("no exact goal state found")


def set_state_cases():
    cases = []
    theta_thr = 12 * 2 * math.pi / 360
    cp = "CartPole-v1"
    for name, state, action in [
        ("x_at_threshold", [2.4, 0.0, 0.0, 0.0], 0),
        ("x_over_threshold", [up(2.4), 0.0, 0.0, 0.0], 0),
        ("x_at_neg_threshold", [-2.4, 0.0, 0.0, 0.0], 1),
        ("x_over_neg_threshold", [down(-2.4), 0.0, 0.0, 0.0], 1),
        ("theta_at_threshold", [0.0, 0.0, theta_thr, 0.0], 1),
        ("theta_over_threshold", [0.0, 0.0, up(theta_thr), 0.0], 1),
        ("theta_at_neg_threshold", [0.0, 0.0, -theta_thr, 0.0], 0),
        ("theta_over_neg_threshold", [0.0, 0.0, down(-theta_thr), 0.0], 0),
        ("x_reaches_threshold", [2.39, 0.5, 0.01, -0.2], 1),
        ("already_outside", [3.0, 1.0, 0.5, 2.0], 0),
        ("large_angle", [0.1, -0.3, 100.0, 5.0], 1),
    ]:
        cases.append(set_state_case(cp, {}, name, state, action))
    for name, state, action in [
        ("sutton_barto_running", [0.0, 0.1, 0.01, 0.0], 1),
        ("sutton_barto_terminal", [3.0, 1.0, 0.5, 2.0], 0),
    ]:
        cases.append(set_state_case(cp, {"sutton_barto_reward": True}, name, state, action))

    mc = "MountainCar-v0"
    for name, state, action in [
        ("at_goal_no_force", [0.5, 0.0], 1),
        ("reaches_goal", [0.49, 0.01], 2),
        ("exact_goal_position", mountain_car_goal_state(0.5, 0.49, False), 1),
        ("just_short_of_goal", [down(mountain_car_goal_state(0.5, 0.49, False)[0]),
                                mountain_car_goal_state(0.5, 0.49, False)[1]], 1),
        ("zero_velocity_at_goal", [0.55, math.cos(3 * 0.55) * 0.0025], 1),
        ("velocity_clip", [0.0, 0.0699], 2),
        ("left_wall", [-1.2, -0.01], 0),
        ("left_wall_clip", [-1.19, -0.07], 0),
        ("right_clip", [0.6, 0.07], 2),
    ]:
        cases.append(set_state_case(mc, {}, name, state, action))
    cases.append(set_state_case(mc, {"goal_velocity": 0.01}, "goal_velocity_not_met",
                                [0.5, 0.005], 2))
    cases.append(set_state_case(mc, {"goal_velocity": 0.01}, "goal_velocity_met",
                                [0.5, 0.012], 2))

    mcc = "MountainCarContinuous-v0"
    for name, state, action in [
        ("reaches_goal", [0.44, 0.01], 1.0),
        ("exact_goal_position", mountain_car_goal_state(0.45, 0.44, True), 0.0),
        ("zero_velocity_at_goal", [0.5, 0.0025 * math.cos(3 * 0.5)], 0.0),
        ("force_clipped_reward_not", [0.0, 0.01], 5.0),
        ("negative_force_clipped", [0.0, -0.01], -3.5),
        ("velocity_clip", [0.0, 0.0699], 1.0),
        ("left_wall", [-1.2, -0.05], -1.0),
        ("right_clip", [0.6, 0.07], 1.0),
        ("float32_action", [-0.5, 0.02], 0.3),
    ]:
        cases.append(set_state_case(mcc, {}, name, state, action))
    cases.append(set_state_case(mcc, {"goal_velocity": 0.02}, "goal_velocity_not_met",
                                [0.44, 0.01], 1.0))

    pe = "Pendulum-v1"
    for name, state, action in [
        ("upright", [0.0, 0.0], 0.0),
        ("down", [math.pi, 0.0], 0.5),
        ("down_negative", [-math.pi, 0.0], -0.5),
        ("large_angle", [100.0, 7.9], 2.0),
        ("negative_large_angle", [-57.3, -7.99], -2.0),
        ("action_clip", [-3.5, -8.0], -3.0),
        ("speed_clip", [1.0, 8.0], 2.0),
        ("float32_action", [0.3, 0.1], 0.1),
    ]:
        cases.append(set_state_case(pe, {}, name, state, action))
    cases.append(set_state_case(pe, {"g": 9.81}, "gravity_kwarg", [1.0, -1.0], 0.7))

    ac = "Acrobot-v1"
    for name, state, action in [
        ("rest", [0.0, 0.0, 0.0, 0.0], 1),
        ("rest_torque", [0.0, 0.0, 0.0, 0.0], 2),
        ("upright", [math.pi, 0.0, 0.0, 0.0], 1),
        ("near_terminal", [2 * math.pi / 3, 0.0, 0.0, 0.0], 0),
        ("terminal_swing", [2.0, 0.5, 2.0, 1.0], 2),
        ("wrap_positive", [3.1, 3.1, 12.0, 20.0], 2),
        ("wrap_negative", [-3.1, -3.1, -12.0, -20.0], 0),
        ("velocity_bound", [0.0, 0.0, 20.0, 40.0], 1),
        ("velocity_bound_negative", [1.0, -1.0, -20.0, -40.0], 1),
    ]:
        cases.append(set_state_case(ac, {}, name, state, action))
    return cases


def numpy_math():
    """np.sin / np.cos / `x ** 2` / `%` on float64 scalars, for bellman's numpy_math kernels."""
    rng = np.random.default_rng(2024)
    special = [0.0, -0.0, 5e-324, -5e-324, 2.0 ** -27, -(2.0 ** -27), down(2.0 ** -27),
               1e-300, 0.5, -0.5, math.pi, -math.pi, math.pi / 2, 2 * math.pi, 1e5,
               2.0 ** 24, -(2.0 ** 24), down(2.0 ** 24), 8388606.5 * math.pi]
    multiples = [k * math.pi / 2 for k in range(-12, 13)]
    xs = np.array(special + multiples + list(rng.uniform(-1, 1, 60)) +
                  list(rng.uniform(-30, 30, 60)) + list(rng.uniform(-1e6, 1e6, 20)))
    sin = [float(np.sin(np.float64(x))) for x in xs]
    cos = [float(np.cos(np.float64(x))) for x in xs]
    # arguments where pow(x, 2) is not x * x
    pow_x = []
    while len(pow_x) < 20:
        x = float(rng.uniform(-10, 10))
        if float(np.float64(x) ** 2) != x * x:
            pow_x.append(x)
    pow_x += list(xs[:40])
    pow2 = [float(np.float64(x) ** 2) for x in pow_x]
    mod_a = list(rng.uniform(-100, 100, 30)) + [0.0, -0.0, -2 * math.pi, 2 * math.pi, -1e-20]
    mod_b = 2 * math.pi
    mod = [float(np.float64(a) % mod_b) for a in mod_a]
    return {
        "trig_x": f64b64(xs), "sin": f64b64(sin), "cos": f64b64(cos),
        "pow_x": f64b64(pow_x), "pow2": f64b64(pow2),
        "mod_a": f64b64(mod_a), "mod_b": mod_b, "mod": f64b64(mod),
    }


def spaces():
    out = {}
    for env_id in ["CartPole-v0", "CartPole-v1", "MountainCar-v0", "MountainCarContinuous-v0",
                   "Pendulum-v1", "Acrobot-v1"]:
        env = gym.make(env_id)
        obs_space = env.observation_space
        out[env_id] = {
            "observation_space": repr(obs_space),
            "obs_low": f32b64(obs_space.low),
            "obs_high": f32b64(obs_space.high),
            "action_space": repr(env.action_space),
            "max_episode_steps": env.spec.max_episode_steps,
            "reward_threshold": env.spec.reward_threshold,
        }
        env.close()
    return out


def main():
    check_svml()
    runs = [
        run_episodes("CartPole-v1", {}, [(0, random_discrete(2), None),
                                         (None, random_discrete(2), None)], 100),
        run_episodes("CartPole-v1", {}, [(1, random_discrete(2), None)], 101),
        run_episodes("CartPole-v1", {}, [(42, cartpole_balance, None)], 102),
        run_episodes("CartPole-v1", {}, [(123456789, random_discrete(2), None)], 103),
        run_episodes("CartPole-v1", {"sutton_barto_reward": True},
                     [(3, random_discrete(2), None)], 104),
        run_episodes("CartPole-v0", {}, [(5, random_discrete(2), None)], 105),
        run_episodes("MountainCar-v0", {}, [(0, random_discrete(3), None)], 200),
        run_episodes("MountainCar-v0", {}, [(1, mountain_car_energy, None),
                                            (None, mountain_car_energy, 30)], 201),
        run_episodes("MountainCar-v0", {}, [(42, mountain_car_energy, None)], 202),
        run_episodes("MountainCar-v0", {}, [(123456789, random_discrete(3), 40)], 203),
        run_episodes("MountainCar-v0", {"goal_velocity": 0.01},
                     [(7, mountain_car_energy, None)], 204),
        run_episodes("MountainCarContinuous-v0", {},
                     [(0, mountain_car_continuous_energy, None)], 300),
        run_episodes("MountainCarContinuous-v0", {}, [(1, zero_box, None)], 301),
        run_episodes("MountainCarContinuous-v0", {}, [(42, random_box(-1.5, 1.5), 50)], 302),
        run_episodes("MountainCarContinuous-v0", {},
                     [(123456789, mountain_car_continuous_energy, None)], 303),
        run_episodes("MountainCarContinuous-v0", {"goal_velocity": 0.02},
                     [(5, mountain_car_continuous_energy, None)], 304),
        run_episodes("Pendulum-v1", {}, [(0, random_box(-2.5, 2.5), None),
                                         (None, random_box(-2.5, 2.5), 20)], 400),
        run_episodes("Pendulum-v1", {}, [(1, random_box(-2.5, 2.5), 50)], 401),
        run_episodes("Pendulum-v1", {}, [(42, random_box(-2.5, 2.5), 50)], 402),
        run_episodes("Pendulum-v1", {}, [(123456789, random_box(-2.5, 2.5), 50)], 403),
        run_episodes("Pendulum-v1", {"g": 9.81}, [(9, random_box(-2.5, 2.5), 30)], 404),
        run_episodes("Acrobot-v1", {}, [(0, random_discrete(3), None)], 500),
        run_episodes("Acrobot-v1", {}, [(1, acrobot_pump, None)], 501),
        run_episodes("Acrobot-v1", {}, [(42, acrobot_pump, None),
                                        (None, random_discrete(3), 20)], 502),
        run_episodes("Acrobot-v1", {}, [(123456789, random_discrete(3), 40)], 503),
    ]
    data = {
        "generated_by": "tests/data/gen_classic_control.py",
        "gymnasium": gym.__version__,
        "numpy": np.__version__,
        "spaces": spaces(),
        "runs": runs,
        "set_state": set_state_cases(),
        "numpy_math": numpy_math(),
    }
    with open(OUT, "w") as f:
        json.dump(data, f, separators=(",", ":"))
        f.write("\n")
    total = sum(len(ep["flags"]) for run in runs for ep in run["episodes"])
    print(f"wrote {OUT}: {len(runs)} runs, {total} steps, {len(data['set_state'])} set_state "
          f"cases, {os.path.getsize(OUT)} bytes")


if __name__ == "__main__":
    main()
