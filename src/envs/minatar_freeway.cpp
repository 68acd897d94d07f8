// MinAtar Freeway: placeholder until the game is ported (make() of its ids throws).
#include "envs/minatar_game.h"

namespace bellman::minatar {

std::unique_ptr<Game> MakeFreeway(bool /*ramping*/) {
  throw Error("MinAtar freeway is not implemented yet");
}

}  // namespace bellman::minatar
