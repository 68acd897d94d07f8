#!/usr/bin/python3
"""Reset references for the MuJoCo envs: init_qpos / init_qvel plus the noise that Gymnasium's
reset_model draws from np_random = np.random.default_rng(seed) (Generator(PCG64)), in the same
calls and order as gymnasium/envs/mujoco/{inverted_pendulum,half_cheetah,hopper,walker2d}_v4.py.

The Python mujoco package is not available here, so init_qpos (the models' qpos0) is written
down from the MJCF files: all zero except rootz of Hopper and Walker2d, whose ref="1.25" makes
qpos0[1] = 1.25. The C++ test checks that value against the model too (zero noise scale).

    /usr/bin/python3 tests/data/gen_mujoco_reset.py > tests/data/mujoco_reset_ref.json
"""
import json

import numpy as np

ENVS = {
    # id: (nq, nv, init_qpos, reset_model)
    "InvertedPendulum-v4": (2, 2, [0.0, 0.0], "inverted_pendulum"),
    "HalfCheetah-v4": (9, 9, [0.0] * 9, "half_cheetah"),
    "Hopper-v4": (6, 6, [0.0, 1.25, 0.0, 0.0, 0.0, 0.0], "uniform"),
    "Walker2d-v4": (9, 9, [0.0, 1.25] + [0.0] * 7, "uniform"),
}
NOISE_SCALE = {"HalfCheetah-v4": 0.1, "Hopper-v4": 5e-3, "Walker2d-v4": 5e-3}
SEEDS = [0, 1, 7, 42, 12345, 2**32 + 5]


def reset(env_id, seed):
    nq, nv, init_qpos, kind = ENVS[env_id]
    init_qpos = np.array(init_qpos, dtype=np.float64)
    init_qvel = np.zeros(nv, dtype=np.float64)
    np_random = np.random.default_rng(seed)
    if kind == "inverted_pendulum":
        qpos = init_qpos + np_random.uniform(size=nq, low=-0.01, high=0.01)
        qvel = init_qvel + np_random.uniform(size=nv, low=-0.01, high=0.01)
    elif kind == "half_cheetah":
        scale = NOISE_SCALE[env_id]
        qpos = init_qpos + np_random.uniform(low=-scale, high=scale, size=nq)
        qvel = init_qvel + scale * np_random.standard_normal(nv)
    else:
        scale = NOISE_SCALE[env_id]
        qpos = init_qpos + np_random.uniform(low=-scale, high=scale, size=nq)
        qvel = init_qvel + np_random.uniform(low=-scale, high=scale, size=nv)
    return qpos, qvel


def main():
    out = {"numpy": np.__version__, "cases": []}
    for env_id, (_, _, init_qpos, _) in ENVS.items():
        for seed in SEEDS:
            qpos, qvel = reset(env_id, seed)
            # float.hex: exact, and read back with strtod.
            out["cases"].append({
                "env": env_id,
                "seed": seed,
                "init_qpos": [float(x).hex() for x in init_qpos],
                "qpos": [float(x).hex() for x in qpos],
                "qvel": [float(x).hex() for x in qvel],
            })
    print(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
