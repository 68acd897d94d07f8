// The toy-text family: FrozenLake, CliffWalking, Taxi, Blackjack (gymnasium/envs/toy_text).
// One file per env; this one registers them.
#include "envs/families.h"
#include "envs/toy_text_common.h"

namespace bellman {

void RegisterToyText(std::vector<EnvRegistration>& out) {
  toy_text::RegisterFrozenLake(out);
  toy_text::RegisterCliffWalking(out);
  toy_text::RegisterTaxi(out);
  toy_text::RegisterBlackjack(out);
  toy_text::RegisterFourRooms(out);
}

}  // namespace bellman
