// MinAtar SpaceInvaders: placeholder until the game is ported (make() of its ids throws).
#include "envs/minatar_game.h"

namespace bellman::minatar {

std::unique_ptr<Game> MakeSpaceInvaders(bool /*ramping*/) {
  throw Error("MinAtar space_invaders is not implemented yet");
}

}  // namespace bellman::minatar
