// `bellman launch --nproc N -- <command...>`: N local ranks of one multi-process run, as
// torchrun's standalone mode starts them. Each rank is this binary run with <command...> and
// torchrun's variables (RANK, LOCAL_RANK, WORLD_SIZE, LOCAL_WORLD_SIZE, MASTER_ADDR,
// MASTER_PORT); the ranks rendezvous through c10d's TCPStore on MASTER_ADDR:MASTER_PORT
// (src/dist/). Across hosts, start the same command on every host with those variables set by
// torchrun, Slurm or by hand (docs/distributed.md).
//
// If a rank fails, the others are stopped (SIGTERM, then SIGKILL after a grace period) and
// launch exits with the failed rank's status, as torchrun does. With --keep-going the others run
// on (an Ape-X learner survives a dead actor) and launch exits with the first failed rank's
// status once every rank has ended.
#include <arpa/inet.h>
#include <fmt/format.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "bellman/core/error.h"
#include "commands.h"

namespace bellman::cli {

namespace {

struct LaunchOptions {
  int nproc = 2;
  std::string master_addr = "127.0.0.1";
  int master_port = 0;  // 0: a free port, asked of the kernel
  bool keep_going = false;
  std::vector<std::string> command;
};

// A TCP port that is free right now on the loopback interface (bind to port 0, read it back).
int FreePort() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) throw Error("launch: cannot open a socket to find a free port");
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  socklen_t len = sizeof(addr);
  const bool ok = ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0 &&
                  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0;
  ::close(fd);
  if (!ok) throw Error("launch: cannot find a free port; pass --master-port");
  return ntohs(addr.sin_port);
}

// Exit status of a waited child as a shell reports it (128 + signal when killed).
int Status(int wstatus) {
  if (WIFEXITED(wstatus)) return WEXITSTATUS(wstatus);
  if (WIFSIGNALED(wstatus)) return 128 + WTERMSIG(wstatus);
  return 1;
}

int Launch(const LaunchOptions& o) {
  if (o.nproc < 1) throw Error(fmt::format("launch: --nproc must be >= 1, got {}", o.nproc));
  if (o.command.empty()) throw Error("launch: give the command after --, e.g. -- train --algo dqn");
  const int port = o.master_port > 0 ? o.master_port : FreePort();
  std::fprintf(stderr, "bellman launch: %d ranks, rendezvous at %s:%d\n", o.nproc,
               o.master_addr.c_str(), port);
  std::vector<pid_t> pids;
  for (int rank = 0; rank < o.nproc; ++rank) {
    const pid_t pid = ::fork();
    if (pid < 0) throw Error("launch: fork failed");
    if (pid == 0) {
      const std::string r = std::to_string(rank), n = std::to_string(o.nproc);
      ::setenv("RANK", r.c_str(), 1);
      ::setenv("LOCAL_RANK", r.c_str(), 1);
      ::setenv("WORLD_SIZE", n.c_str(), 1);
      ::setenv("LOCAL_WORLD_SIZE", n.c_str(), 1);
      ::setenv("MASTER_ADDR", o.master_addr.c_str(), 1);
      ::setenv("MASTER_PORT", std::to_string(port).c_str(), 1);
      std::vector<char*> argv;
      std::string self = "bellman";
      argv.push_back(self.data());
      std::vector<std::string> args = o.command;
      for (std::string& a : args) argv.push_back(a.data());
      argv.push_back(nullptr);
      ::execv("/proc/self/exe", argv.data());
      std::fprintf(stderr, "bellman launch: rank %d: exec failed\n", rank);
      ::_exit(127);
    }
    pids.push_back(pid);
  }
  int result = 0;
  size_t running = pids.size();
  bool stopping = false;
  auto stop_others = [&](int sig) {
    for (pid_t& p : pids)
      if (p > 0) ::kill(p, sig);
  };
  auto deadline = std::chrono::steady_clock::time_point::max();
  while (running > 0) {
    int wstatus = 0;
    const pid_t done = ::waitpid(-1, &wstatus, stopping ? WNOHANG : 0);
    if (done == 0) {  // stopping: the others have a grace period, then are killed
      if (std::chrono::steady_clock::now() > deadline) stop_others(SIGKILL);
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
      continue;
    }
    if (done < 0) break;
    for (size_t i = 0; i < pids.size(); ++i) {
      if (pids[i] != done) continue;
      pids[i] = -1;
      --running;
      const int status = Status(wstatus);
      if (status != 0 && o.keep_going) {
        std::fprintf(stderr, "bellman launch: rank %zu exited with status %d; the others go on\n",
                     i, status);
        if (result == 0) result = status;
      } else if (status != 0 && !stopping) {
        std::fprintf(stderr,
                     "bellman launch: rank %zu exited with status %d; stopping the others\n", i,
                     status);
        result = status;
        stopping = true;
        stop_others(SIGTERM);
        deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
      }
    }
  }
  return result;
}

}  // namespace

void AddLaunchCommand(CLI::App& app) {
  auto o = std::make_shared<LaunchOptions>();
  CLI::App* cmd = app.add_subcommand(
      "launch",
      "Run a command as N local ranks of one multi-process run (torchrun's variables), e.g. "
      "bellman launch --nproc 2 -- train --algo dqn --env CartPole-v1");
  cmd->add_option("--nproc", o->nproc, "number of ranks on this host (default 2)");
  cmd->add_option("--master-addr", o->master_addr, "rendezvous address (default 127.0.0.1)");
  cmd->add_option("--master-port", o->master_port, "rendezvous port (default: a free one)");
  cmd->add_flag("--keep-going", o->keep_going,
                "a failed rank does not stop the others (Ape-X actors); exit with the first "
                "failure's status once all have ended");
  cmd->add_option("command", o->command, "the bellman command each rank runs, after --")
      ->required();
  cmd->callback([o] {
    const int status = Launch(*o);
    if (status != 0) std::exit(status);
  });
}

}  // namespace bellman::cli
