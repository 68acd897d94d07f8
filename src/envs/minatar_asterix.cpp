// MinAtar Asterix: placeholder until the game is ported (make() of its ids throws).
#include "envs/minatar_game.h"

namespace bellman::minatar {

std::unique_ptr<Game> MakeAsterix(bool /*ramping*/) {
  throw Error("MinAtar asterix is not implemented yet");
}

}  // namespace bellman::minatar
