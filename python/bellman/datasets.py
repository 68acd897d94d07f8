"""Offline datasets: bellman.datasets.load(path) reads a Minari dataset folder or a D4RL .hdf5
file (checked as `bellman dataset info` checks it) into read-only NumPy arrays without copying.

    data = bellman.datasets.load("data/pendulum-random")
    data.observations      # (total_steps + episodes, *obs_shape): each episode keeps its final obs
    data.actions, data.rewards, data.terminations, data.truncations   # (total_steps, ...)
    for ep in data.episodes():
        ep["observations"]  # (T + 1, *obs_shape)

The same files open with h5py (docs/offline.md lists the layout).
"""

from bellman._bellman import _load_dataset


class Dataset:
    """Columns over all episodes, episode after episode (see the module docstring)."""

    def __init__(self, columns):
        self._c = columns
        for key in ("observations", "actions", "rewards", "terminations", "truncations",
                    "observation_space", "action_space", "dataset_id", "env_id",
                    "ref_min_score", "ref_max_score"):
            setattr(self, key, columns[key])
        self.total_steps = int(len(self.rewards))
        self.total_episodes = int(len(columns["episode_steps"]))

    def episodes(self):
        """Each episode as a dict of views: observations (T + 1 rows), actions, rewards,
        terminations, truncations (T rows), id and seed."""
        first = self._c["episode_first_step"]
        steps = self._c["episode_steps"]
        for i in range(self.total_episodes):
            a, t = int(first[i]), int(steps[i])
            yield {
                "id": i,
                "seed": self._c["episode_seeds"][i],
                "observations": self.observations[a + i:a + i + t + 1],
                "actions": self.actions[a:a + t],
                "rewards": self.rewards[a:a + t],
                "terminations": self.terminations[a:a + t],
                "truncations": self.truncations[a:a + t],
            }

    def __repr__(self):
        return (f"Dataset({self.dataset_id!r}, episodes={self.total_episodes}, "
                f"steps={self.total_steps})")


def load(path):
    """A Minari dataset folder or D4RL file as a Dataset; bellman.Error names a bad field."""
    return Dataset(_load_dataset(str(path)))
