"""PyTorch baseline for the offline-RL speed benchmark: gradient updates per second of IQL and CQL
written as CORL writes them, on CPU with one thread.

Mirrors CORL (https://github.com/corl-team/CORL, formerly tinkoff-ai/CORL) at commit
eeeeef2671235fcce3a3eb255576a207d78840e6 (2024-02-10):
  - algorithms/offline/iql.py  -> TwinQ, ValueFunction, GaussianPolicy, ImplicitQLearning.train
  - algorithms/offline/cql.py  -> FullyConnectedQFunction, TanhGaussianPolicy, ContinuousCQL.train
The classes below copy those files' network shapes, initialisation, losses, optimizers and the
order of operations inside one update, including the per-update `log_dict` `.item()` reads that
CORL's train() does (wandb.log itself is not called). Hyperparameters are the TrainConfig
defaults of each file (see IQL_CFG / CQL_CFG).

Simplified / left out: no d4rl/gym/wandb/pyrallis, no env evaluation, no checkpoints; the dataset
is synthetic (uniform [-1, 1] float32 observations and actions, N(0, 1) rewards, 1% dones), held
in float32 torch tensors like CORL's ReplayBuffer and sampled uniformly every update with a numpy
Generator (CORL uses np.random.randint; same cost) -- the sampling is inside the timed loop, as
is CORL's `[b.to(device) for b in batch]` (a no-op on CPU). State/reward normalisation happens
once before training in CORL and costs nothing per update, so it is skipped. max_action is 1.0.
CQL is timed in the steady state after bc_steps (CORL's default bc_steps is 0 anyway), i.e. the
policy loss is alpha * log_pi - min(Q1, Q2)(s, a~pi).

    /usr/bin/python3 bench/offline_torch.py --algo iql|cql --obs-dim 3 --act-dim 1 \
        --updates 300 --warmup 20 --batch 256 --hidden 256 --seed 0
prints one JSON line: {"algo", "updates_per_s", "seconds", "updates", "torch", "threads"}.
"""
import argparse
import copy
import json
import os
import time

# One BLAS thread, as bellman's OpenBLAS: torch.set_num_threads does not reach Debian's
# OpenBLAS, which otherwise runs every product on all cores.
os.environ["OPENBLAS_NUM_THREADS"] = "1"

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.distributions import Normal, TanhTransform, TransformedDistribution
from torch.optim.lr_scheduler import CosineAnnealingLR

# iql.py TrainConfig defaults (lines 40-66) and module constants (lines 25-27).
IQL_CFG = dict(discount=0.99, tau=0.005, beta=3.0, iql_tau=0.7, iql_deterministic=False,
               max_timesteps=int(1e6), vf_lr=3e-4, qf_lr=3e-4, actor_lr=3e-4, actor_dropout=None)
EXP_ADV_MAX = 100.0
IQL_LOG_STD_MIN = -20.0
IQL_LOG_STD_MAX = 2.0

# cql.py TrainConfig defaults (lines 36-60).
CQL_CFG = dict(discount=0.99, alpha_multiplier=1.0, use_automatic_entropy_tuning=True,
               backup_entropy=False, policy_lr=3e-5, qf_lr=3e-4, soft_target_update_rate=5e-3,
               target_update_period=1, cql_n_actions=10, cql_importance_sample=True,
               cql_lagrange=False, cql_target_action_gap=-1.0, cql_temp=1.0, cql_alpha=10.0,
               cql_max_target_backup=False, cql_clip_diff_min=-np.inf, cql_clip_diff_max=np.inf,
               orthogonal_init=True, q_n_hidden_layers=3, bc_steps=0,
               policy_log_std_multiplier=1.0)


def soft_update(target: nn.Module, source: nn.Module, tau: float):
    # Identical in iql.py and cql.py (out-of-place blend, then copy_).
    for target_param, source_param in zip(target.parameters(), source.parameters()):
        target_param.data.copy_((1 - tau) * target_param.data + tau * source_param.data)


class ReplayBuffer:
    """CORL's ReplayBuffer: float32 torch columns, rewards/dones as (N, 1), fancy-index sample."""

    def __init__(self, obs_dim, act_dim, size, rng: np.random.Generator):
        self._rng = rng
        self._size = size
        self._states = torch.tensor(rng.uniform(-1, 1, (size, obs_dim)), dtype=torch.float32)
        self._actions = torch.tensor(rng.uniform(-1, 1, (size, act_dim)), dtype=torch.float32)
        self._rewards = torch.tensor(rng.standard_normal((size, 1)), dtype=torch.float32)
        self._next_states = torch.tensor(rng.uniform(-1, 1, (size, obs_dim)), dtype=torch.float32)
        self._dones = torch.tensor(rng.random((size, 1)) < 0.01, dtype=torch.float32)

    def sample(self, batch_size):
        indices = self._rng.integers(0, self._size, size=batch_size)
        return [self._states[indices], self._actions[indices], self._rewards[indices],
                self._next_states[indices], self._dones[indices]]


# ----------------------------------------------------------------------------------------- IQL
def asymmetric_l2_loss(u: torch.Tensor, tau: float) -> torch.Tensor:
    return torch.mean(torch.abs(tau - (u < 0).float()) * u**2)


class Squeeze(nn.Module):
    def __init__(self, dim=-1):
        super().__init__()
        self.dim = dim

    def forward(self, x):
        return x.squeeze(dim=self.dim)


class MLP(nn.Module):
    """iql.py MLP: Linear+ReLU per hidden layer, default PyTorch init."""

    def __init__(self, dims, output_activation_fn=None, squeeze_output=False):
        super().__init__()
        layers = []
        for i in range(len(dims) - 2):
            layers.append(nn.Linear(dims[i], dims[i + 1]))
            layers.append(nn.ReLU())
        layers.append(nn.Linear(dims[-2], dims[-1]))
        if output_activation_fn is not None:
            layers.append(output_activation_fn())
        if squeeze_output:
            layers.append(Squeeze(-1))
        self.net = nn.Sequential(*layers)

    def forward(self, x):
        return self.net(x)


class GaussianPolicy(nn.Module):
    """iql.py GaussianPolicy: Tanh-squashed mean MLP, state-independent log_std parameter."""

    def __init__(self, state_dim, act_dim, max_action, hidden_dim=256, n_hidden=2):
        super().__init__()
        self.net = MLP([state_dim, *([hidden_dim] * n_hidden), act_dim],
                       output_activation_fn=nn.Tanh)
        self.log_std = nn.Parameter(torch.zeros(act_dim, dtype=torch.float32))
        self.max_action = max_action

    def forward(self, obs):
        mean = self.net(obs)
        std = torch.exp(self.log_std.clamp(IQL_LOG_STD_MIN, IQL_LOG_STD_MAX))
        return Normal(mean, std)


class TwinQ(nn.Module):
    def __init__(self, state_dim, action_dim, hidden_dim=256, n_hidden=2):
        super().__init__()
        dims = [state_dim + action_dim, *([hidden_dim] * n_hidden), 1]
        self.q1 = MLP(dims, squeeze_output=True)
        self.q2 = MLP(dims, squeeze_output=True)

    def both(self, state, action):
        sa = torch.cat([state, action], 1)
        return self.q1(sa), self.q2(sa)

    def forward(self, state, action):
        return torch.min(*self.both(state, action))


class ValueFunction(nn.Module):
    def __init__(self, state_dim, hidden_dim=256, n_hidden=2):
        super().__init__()
        self.v = MLP([state_dim, *([hidden_dim] * n_hidden), 1], squeeze_output=True)

    def forward(self, state):
        return self.v(state)


class ImplicitQLearning:
    def __init__(self, obs_dim, act_dim, hidden, cfg):
        self.qf = TwinQ(obs_dim, act_dim, hidden)
        self.vf = ValueFunction(obs_dim, hidden)
        self.actor = GaussianPolicy(obs_dim, act_dim, 1.0, hidden)
        self.v_optimizer = torch.optim.Adam(self.vf.parameters(), lr=cfg["vf_lr"])
        self.q_optimizer = torch.optim.Adam(self.qf.parameters(), lr=cfg["qf_lr"])
        self.actor_optimizer = torch.optim.Adam(self.actor.parameters(), lr=cfg["actor_lr"])
        self.q_target = copy.deepcopy(self.qf).requires_grad_(False)
        self.actor_lr_schedule = CosineAnnealingLR(self.actor_optimizer, cfg["max_timesteps"])
        self.iql_tau = cfg["iql_tau"]
        self.beta = cfg["beta"]
        self.discount = cfg["discount"]
        self.tau = cfg["tau"]
        self.total_it = 0

    def _update_v(self, observations, actions, log_dict):
        with torch.no_grad():
            target_q = self.q_target(observations, actions)
        v = self.vf(observations)
        adv = target_q - v
        v_loss = asymmetric_l2_loss(adv, self.iql_tau)
        log_dict["value_loss"] = v_loss.item()
        self.v_optimizer.zero_grad()
        v_loss.backward()
        self.v_optimizer.step()
        return adv

    def _update_q(self, next_v, observations, actions, rewards, terminals, log_dict):
        targets = rewards + (1.0 - terminals.float()) * self.discount * next_v.detach()
        qs = self.qf.both(observations, actions)
        q_loss = sum(F.mse_loss(q, targets) for q in qs) / len(qs)
        log_dict["q_loss"] = q_loss.item()
        self.q_optimizer.zero_grad()
        q_loss.backward()
        self.q_optimizer.step()
        soft_update(self.q_target, self.qf, self.tau)  # inside _update_q, before the actor

    def _update_policy(self, adv, observations, actions, log_dict):
        exp_adv = torch.exp(self.beta * adv.detach()).clamp(max=EXP_ADV_MAX)
        policy_out = self.actor(observations)
        bc_losses = -policy_out.log_prob(actions).sum(-1, keepdim=False)
        policy_loss = torch.mean(exp_adv * bc_losses)
        log_dict["actor_loss"] = policy_loss.item()
        self.actor_optimizer.zero_grad()
        policy_loss.backward()
        self.actor_optimizer.step()
        self.actor_lr_schedule.step()

    def train(self, batch):
        self.total_it += 1
        observations, actions, rewards, next_observations, dones = batch
        log_dict = {}
        with torch.no_grad():
            next_v = self.vf(next_observations)
        adv = self._update_v(observations, actions, log_dict)
        rewards = rewards.squeeze(dim=-1)
        dones = dones.squeeze(dim=-1)
        self._update_q(next_v, observations, actions, rewards, dones, log_dict)
        self._update_policy(adv, observations, actions, log_dict)
        return log_dict


# ----------------------------------------------------------------------------------------- CQL
def extend_and_repeat(tensor, dim, repeat):
    return tensor.unsqueeze(dim).repeat_interleave(repeat, dim=dim)


def init_module_weights(module: nn.Sequential, orthogonal_init: bool = False):
    if orthogonal_init:
        for submodule in module[:-1]:
            if isinstance(submodule, nn.Linear):
                nn.init.orthogonal_(submodule.weight, gain=np.sqrt(2))
                nn.init.constant_(submodule.bias, 0.0)
    if orthogonal_init:
        nn.init.orthogonal_(module[-1].weight, gain=1e-2)
    else:
        nn.init.xavier_uniform_(module[-1].weight, gain=1e-2)
    nn.init.constant_(module[-1].bias, 0.0)


class Scalar(nn.Module):
    def __init__(self, init_value):
        super().__init__()
        self.constant = nn.Parameter(torch.tensor(init_value, dtype=torch.float32))

    def forward(self):
        return self.constant


class ReparameterizedTanhGaussian(nn.Module):
    def __init__(self, log_std_min=-20.0, log_std_max=2.0):
        super().__init__()
        self.log_std_min = log_std_min
        self.log_std_max = log_std_max

    def forward(self, mean, log_std, deterministic=False):
        log_std = torch.clamp(log_std, self.log_std_min, self.log_std_max)
        std = torch.exp(log_std)
        action_distribution = TransformedDistribution(
            Normal(mean, std), TanhTransform(cache_size=1))
        if deterministic:
            action_sample = torch.tanh(mean)
        else:
            action_sample = action_distribution.rsample()
        log_prob = torch.sum(action_distribution.log_prob(action_sample), dim=-1)
        return action_sample, log_prob


class TanhGaussianPolicy(nn.Module):
    """cql.py TanhGaussianPolicy: 3 hidden layers of 256 (fixed widths in CORL), output
    2*act_dim (mean, log_std). CORL calls init_module_weights(base_network) WITHOUT its
    orthogonal_init flag, so hidden layers keep PyTorch's default init and the last layer is
    xavier_uniform(gain 1e-2) -- reproduced here."""

    def __init__(self, state_dim, action_dim, max_action, hidden=256, log_std_multiplier=1.0,
                 log_std_offset=-1.0):
        super().__init__()
        self.action_dim = action_dim
        self.max_action = max_action
        self.base_network = nn.Sequential(
            nn.Linear(state_dim, hidden), nn.ReLU(),
            nn.Linear(hidden, hidden), nn.ReLU(),
            nn.Linear(hidden, hidden), nn.ReLU(),
            nn.Linear(hidden, 2 * action_dim))
        init_module_weights(self.base_network)
        self.log_std_multiplier = Scalar(log_std_multiplier)
        self.log_std_offset = Scalar(log_std_offset)
        self.tanh_gaussian = ReparameterizedTanhGaussian()

    def forward(self, observations, deterministic=False, repeat=None):
        if repeat is not None:
            observations = extend_and_repeat(observations, 1, repeat)
        base_network_output = self.base_network(observations)
        mean, log_std = torch.split(base_network_output, self.action_dim, dim=-1)
        log_std = self.log_std_multiplier() * log_std + self.log_std_offset()
        actions, log_probs = self.tanh_gaussian(mean, log_std, deterministic)
        return self.max_action * actions, log_probs


class FullyConnectedQFunction(nn.Module):
    def __init__(self, observation_dim, action_dim, orthogonal_init=False, n_hidden_layers=3,
                 hidden=256):
        super().__init__()
        layers = [nn.Linear(observation_dim + action_dim, hidden), nn.ReLU()]
        for _ in range(n_hidden_layers - 1):
            layers.append(nn.Linear(hidden, hidden))
            layers.append(nn.ReLU())
        layers.append(nn.Linear(hidden, 1))
        self.network = nn.Sequential(*layers)
        init_module_weights(self.network, orthogonal_init)

    def forward(self, observations, actions):
        multiple_actions = False
        batch_size = observations.shape[0]
        if actions.ndim == 3 and observations.ndim == 2:
            multiple_actions = True
            observations = extend_and_repeat(observations, 1, actions.shape[1]).reshape(
                -1, observations.shape[-1])
            actions = actions.reshape(-1, actions.shape[-1])
        input_tensor = torch.cat([observations, actions], dim=-1)
        q_values = torch.squeeze(self.network(input_tensor), dim=-1)
        if multiple_actions:
            q_values = q_values.reshape(batch_size, -1)
        return q_values


class ContinuousCQL:
    def __init__(self, obs_dim, act_dim, hidden, cfg):
        c = cfg
        self.critic_1 = FullyConnectedQFunction(obs_dim, act_dim, c["orthogonal_init"],
                                                c["q_n_hidden_layers"], hidden)
        self.critic_2 = FullyConnectedQFunction(obs_dim, act_dim, c["orthogonal_init"],
                                                c["q_n_hidden_layers"], hidden)
        self.critic_1_optimizer = torch.optim.Adam(list(self.critic_1.parameters()), c["qf_lr"])
        self.critic_2_optimizer = torch.optim.Adam(list(self.critic_2.parameters()), c["qf_lr"])
        self.actor = TanhGaussianPolicy(obs_dim, act_dim, 1.0, hidden,
                                        log_std_multiplier=c["policy_log_std_multiplier"])
        self.actor_optimizer = torch.optim.Adam(self.actor.parameters(), c["policy_lr"])
        self.target_critic_1 = copy.deepcopy(self.critic_1)
        self.target_critic_2 = copy.deepcopy(self.critic_2)
        self.discount = c["discount"]
        self.target_entropy = -float(act_dim)  # -np.prod(env.action_space.shape)
        self.alpha_multiplier = c["alpha_multiplier"]
        self.use_automatic_entropy_tuning = c["use_automatic_entropy_tuning"]
        self.backup_entropy = c["backup_entropy"]
        self.soft_target_update_rate = c["soft_target_update_rate"]
        self.bc_steps = c["bc_steps"]
        self.target_update_period = c["target_update_period"]
        self.cql_n_actions = c["cql_n_actions"]
        self.cql_importance_sample = c["cql_importance_sample"]
        self.cql_lagrange = c["cql_lagrange"]
        self.cql_target_action_gap = c["cql_target_action_gap"]
        self.cql_temp = c["cql_temp"]
        self.cql_alpha = c["cql_alpha"]
        self.cql_max_target_backup = c["cql_max_target_backup"]
        self.cql_clip_diff_min = c["cql_clip_diff_min"]
        self.cql_clip_diff_max = c["cql_clip_diff_max"]
        self.log_alpha = Scalar(0.0)
        self.alpha_optimizer = torch.optim.Adam(self.log_alpha.parameters(), lr=c["policy_lr"])
        self.log_alpha_prime = Scalar(1.0)
        self.alpha_prime_optimizer = torch.optim.Adam(self.log_alpha_prime.parameters(),
                                                      lr=c["qf_lr"])
        self.total_it = 0

    def update_target_network(self, rate):
        soft_update(self.target_critic_1, self.critic_1, rate)
        soft_update(self.target_critic_2, self.critic_2, rate)

    def _alpha_and_alpha_loss(self, observations, log_pi):
        if self.use_automatic_entropy_tuning:
            alpha_loss = -(self.log_alpha() * (log_pi + self.target_entropy).detach()).mean()
            alpha = self.log_alpha().exp() * self.alpha_multiplier
        else:
            alpha_loss = observations.new_tensor(0.0)
            alpha = observations.new_tensor(self.alpha_multiplier)
        return alpha, alpha_loss

    def _policy_loss(self, observations, actions, new_actions, alpha, log_pi):
        # Steady state (total_it > bc_steps): SAC policy loss against min of the two critics.
        q_new_actions = torch.min(self.critic_1(observations, new_actions),
                                  self.critic_2(observations, new_actions))
        return (alpha * log_pi - q_new_actions).mean()

    def _q_loss(self, observations, actions, next_observations, rewards, dones, alpha, log_dict):
        q1_predicted = self.critic_1(observations, actions)
        q2_predicted = self.critic_2(observations, actions)

        # cql_max_target_backup = False (default)
        new_next_actions, next_log_pi = self.actor(next_observations)
        target_q_values = torch.min(self.target_critic_1(next_observations, new_next_actions),
                                    self.target_critic_2(next_observations, new_next_actions))
        if self.backup_entropy:
            target_q_values = target_q_values - alpha * next_log_pi

        target_q_values = target_q_values.unsqueeze(-1)
        td_target = rewards + (1.0 - dones) * self.discount * target_q_values.detach()
        td_target = td_target.squeeze(-1)
        qf1_loss = F.mse_loss(q1_predicted, td_target.detach())
        qf2_loss = F.mse_loss(q2_predicted, td_target.detach())

        batch_size = actions.shape[0]
        action_dim = actions.shape[-1]
        cql_random_actions = actions.new_empty(
            (batch_size, self.cql_n_actions, action_dim), requires_grad=False).uniform_(-1, 1)
        cql_current_actions, cql_current_log_pis = self.actor(
            observations, repeat=self.cql_n_actions)
        cql_next_actions, cql_next_log_pis = self.actor(
            next_observations, repeat=self.cql_n_actions)
        cql_current_actions, cql_current_log_pis = (
            cql_current_actions.detach(), cql_current_log_pis.detach())
        cql_next_actions, cql_next_log_pis = (
            cql_next_actions.detach(), cql_next_log_pis.detach())

        cql_q1_rand = self.critic_1(observations, cql_random_actions)
        cql_q2_rand = self.critic_2(observations, cql_random_actions)
        cql_q1_current_actions = self.critic_1(observations, cql_current_actions)
        cql_q2_current_actions = self.critic_2(observations, cql_current_actions)
        cql_q1_next_actions = self.critic_1(observations, cql_next_actions)
        cql_q2_next_actions = self.critic_2(observations, cql_next_actions)

        cql_cat_q1 = torch.cat([cql_q1_rand, torch.unsqueeze(q1_predicted, 1),
                                cql_q1_next_actions, cql_q1_current_actions], dim=1)
        cql_cat_q2 = torch.cat([cql_q2_rand, torch.unsqueeze(q2_predicted, 1),
                                cql_q2_next_actions, cql_q2_current_actions], dim=1)
        cql_std_q1 = torch.std(cql_cat_q1, dim=1)
        cql_std_q2 = torch.std(cql_cat_q2, dim=1)

        if self.cql_importance_sample:
            random_density = np.log(0.5**action_dim)
            cql_cat_q1 = torch.cat([cql_q1_rand - random_density,
                                    cql_q1_next_actions - cql_next_log_pis.detach(),
                                    cql_q1_current_actions - cql_current_log_pis.detach()],
                                   dim=1)
            cql_cat_q2 = torch.cat([cql_q2_rand - random_density,
                                    cql_q2_next_actions - cql_next_log_pis.detach(),
                                    cql_q2_current_actions - cql_current_log_pis.detach()],
                                   dim=1)

        cql_qf1_ood = torch.logsumexp(cql_cat_q1 / self.cql_temp, dim=1) * self.cql_temp
        cql_qf2_ood = torch.logsumexp(cql_cat_q2 / self.cql_temp, dim=1) * self.cql_temp

        cql_qf1_diff = torch.clamp(cql_qf1_ood - q1_predicted,
                                   self.cql_clip_diff_min, self.cql_clip_diff_max).mean()
        cql_qf2_diff = torch.clamp(cql_qf2_ood - q2_predicted,
                                   self.cql_clip_diff_min, self.cql_clip_diff_max).mean()

        # cql_lagrange = False (default)
        cql_min_qf1_loss = cql_qf1_diff * self.cql_alpha
        cql_min_qf2_loss = cql_qf2_diff * self.cql_alpha
        alpha_prime_loss = observations.new_tensor(0.0)
        alpha_prime = observations.new_tensor(0.0)

        qf_loss = qf1_loss + qf2_loss + cql_min_qf1_loss + cql_min_qf2_loss

        if log_dict is not None:  # CORL computes these every update
            log_dict.update(dict(
                qf1_loss=qf1_loss.item(), qf2_loss=qf2_loss.item(), alpha=alpha.item(),
                average_qf1=q1_predicted.mean().item(), average_qf2=q2_predicted.mean().item(),
                average_target_q=target_q_values.mean().item()))
            log_dict.update(dict(
                cql_std_q1=cql_std_q1.mean().item(), cql_std_q2=cql_std_q2.mean().item(),
                cql_q1_rand=cql_q1_rand.mean().item(), cql_q2_rand=cql_q2_rand.mean().item(),
                cql_min_qf1_loss=cql_min_qf1_loss.mean().item(),
                cql_min_qf2_loss=cql_min_qf2_loss.mean().item(),
                cql_qf1_diff=cql_qf1_diff.mean().item(), cql_qf2_diff=cql_qf2_diff.mean().item(),
                cql_q1_current_actions=cql_q1_current_actions.mean().item(),
                cql_q2_current_actions=cql_q2_current_actions.mean().item(),
                cql_q1_next_actions=cql_q1_next_actions.mean().item(),
                cql_q2_next_actions=cql_q2_next_actions.mean().item(),
                alpha_prime_loss=alpha_prime_loss.item(), alpha_prime=alpha_prime.item()))
        return qf_loss, alpha_prime, alpha_prime_loss

    def train(self, batch, with_log=True):
        observations, actions, rewards, next_observations, dones = batch
        self.total_it += 1

        new_actions, log_pi = self.actor(observations)
        alpha, alpha_loss = self._alpha_and_alpha_loss(observations, log_pi)
        policy_loss = self._policy_loss(observations, actions, new_actions, alpha, log_pi)
        log_dict = None
        if with_log:
            log_dict = dict(log_pi=log_pi.mean().item(), policy_loss=policy_loss.item(),
                            alpha_loss=alpha_loss.item(), alpha=alpha.item())

        qf_loss, _, _ = self._q_loss(observations, actions, next_observations, rewards, dones,
                                     alpha, log_dict)

        if self.use_automatic_entropy_tuning:
            self.alpha_optimizer.zero_grad()
            alpha_loss.backward()
            self.alpha_optimizer.step()

        self.actor_optimizer.zero_grad()
        policy_loss.backward()
        self.actor_optimizer.step()

        self.critic_1_optimizer.zero_grad()
        self.critic_2_optimizer.zero_grad()
        qf_loss.backward(retain_graph=True)
        self.critic_1_optimizer.step()
        self.critic_2_optimizer.step()

        if self.total_it % self.target_update_period == 0:
            self.update_target_network(self.soft_target_update_rate)
        return log_dict


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--algo", choices=["iql", "cql"], required=True)
    p.add_argument("--obs-dim", type=int, default=3)
    p.add_argument("--act-dim", type=int, default=1)
    p.add_argument("--updates", type=int, default=300)
    p.add_argument("--warmup", type=int, default=20)
    p.add_argument("--batch", type=int, default=256)
    p.add_argument("--hidden", type=int, default=256)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--dataset-size", type=int, default=10000)
    p.add_argument("--no-log", action="store_true",
                   help="skip CORL's per-update log_dict .item() reads (CQL only; not CORL)")
    a = p.parse_args()

    torch.set_num_threads(1)
    torch.manual_seed(a.seed)
    rng = np.random.default_rng(a.seed)
    buffer = ReplayBuffer(a.obs_dim, a.act_dim, a.dataset_size, rng)
    if a.algo == "iql":
        trainer = ImplicitQLearning(a.obs_dim, a.act_dim, a.hidden, IQL_CFG)
        step = trainer.train
    else:
        trainer = ContinuousCQL(a.obs_dim, a.act_dim, a.hidden, CQL_CFG)
        step = lambda b: trainer.train(b, with_log=not a.no_log)  # noqa: E731

    def run(n):
        for _ in range(n):
            batch = buffer.sample(a.batch)
            batch = [b.to("cpu") for b in batch]
            step(batch)

    run(a.warmup)
    start = time.perf_counter()
    run(a.updates)
    seconds = time.perf_counter() - start
    print(json.dumps({"algo": a.algo, "updates_per_s": round(a.updates / seconds, 2),
                      "seconds": round(seconds, 4), "updates": a.updates,
                      "torch": torch.__version__, "threads": torch.get_num_threads()}))


if __name__ == "__main__":
    main()
