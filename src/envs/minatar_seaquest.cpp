// MinAtar Seaquest: placeholder until the game is ported (make() of its ids throws).
#include "envs/minatar_game.h"

namespace bellman::minatar {

std::unique_ptr<Game> MakeSeaquest(bool /*ramping*/) {
  throw Error("MinAtar seaquest is not implemented yet");
}

}  // namespace bellman::minatar
