#include "train/recorder.h"

#include <cstring>
#include <utility>

namespace bellman::train {

TransitionRecorder::TransitionRecorder(const Space& observation_space, const Space& action_space,
                                       int num_envs, io::DatasetMetadata metadata,
                                       const void* first_obs)
    : observation_space_(observation_space),
      action_space_(action_space),
      running_(static_cast<size_t>(num_envs)),
      data_(observation_space, action_space, std::move(metadata)) {
  const size_t ob = observation_space_.byte_size();
  const auto* obs = static_cast<const std::byte*>(first_obs);
  for (size_t i = 0; i < running_.size(); ++i)
    running_[i].obs.assign(obs + i * ob, obs + (i + 1) * ob);
}

void TransitionRecorder::Record(const TransitionRows& rows) {
  const size_t ob = observation_space_.byte_size(), ab = action_space_.byte_size();
  const auto* action = static_cast<const std::byte*>(rows.action);
  const auto* next = static_cast<const std::byte*>(rows.next_obs);
  const auto* final_obs = static_cast<const std::byte*>(rows.final_obs);
  for (size_t i = 0; i < static_cast<size_t>(rows.n); ++i) {
    Episode& e = running_[i];
    e.actions.insert(e.actions.end(), action + i * ab, action + (i + 1) * ab);
    e.rewards.push_back(rows.reward[i]);
    const uint8_t term = rows.terminated[i], trunc = rows.truncated ? rows.truncated[i] : 0;
    e.terminations.push_back(term);
    e.truncations.push_back(trunc);
    const bool reset = rows.has_final_obs != nullptr && rows.has_final_obs[i] != 0;
    const std::byte* last = reset ? final_obs + i * ob : next + i * ob;
    e.obs.insert(e.obs.end(), last, last + ob);
    if (term || trunc) {
      data_.AddEpisode(e.obs, e.actions, e.rewards, e.terminations, e.truncations);
      e = Episode{};
      e.obs.assign(next + i * ob, next + (i + 1) * ob);
    }
  }
}

}  // namespace bellman::train
