"""bellman: Gymnasium-compatible reinforcement-learning environments implemented in C++.

    import bellman
    env = bellman.make("CartPole-v1")
    obs, info = env.reset(seed=42)
    obs, reward, terminated, truncated, info = env.step(env.action_space.sample())

Same seed, same trajectory as Gymnasium, bit for bit. See docs/python.md.
"""

from bellman._bellman import (
    Box,
    Discrete,
    Env,
    EnvSpec,
    Error,
    EvalResult,
    MultiAgentEnv,
    MultiBinary,
    MultiDiscrete,
    Policy,
    Space,
    TrainResult,
    Tuple,
    VectorEnv,
    __version__,
    envs,
    generate_random_map,
    load,
    make,
    make_multi_agent,
    make_vec,
    multi_agent_envs,
    train,
)
from bellman import datasets  # noqa: E402  (bellman.datasets.load)
from bellman import extract  # noqa: E402  (bellman.extract.best_of_n)

__all__ = [
    "Box",
    "Discrete",
    "Env",
    "EnvSpec",
    "MultiAgentEnv",
    "Error",
    "EvalResult",
    "MultiBinary",
    "MultiDiscrete",
    "Policy",
    "Space",
    "TrainResult",
    "Tuple",
    "VectorEnv",
    "__version__",
    "envs",
    "generate_random_map",
    "load",
    "make",
    "make_multi_agent",
    "make_vec",
    "multi_agent_envs",
    "train",
    "datasets",
    "extract",
]
