// Runs a program as a child process with its output captured to a file, for tests that
// exercise the real binaries (ledgerd start-up errors, SIGTERM).
#ifndef SIXHEARTS_TESTS_TESTING_SUBPROCESS_H_
#define SIXHEARTS_TESTS_TESTING_SUBPROCESS_H_

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

namespace sixhearts::testing {

class Subprocess {
 public:
  // Starts `argv` with stdout and stderr both written to `output_path`.
  Subprocess(const std::vector<std::string>& argv, const std::string& output_path)
      : output_path_(output_path) {
    pid_ = ::fork();
    if (pid_ == 0) {
      const int fd = ::open(output_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      ::dup2(fd, 1);
      ::dup2(fd, 2);
      std::vector<char*> args;
      for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
      args.push_back(nullptr);
      ::execv(args[0], args.data());
      ::_exit(127);
    }
  }
  ~Subprocess() {
    if (pid_ > 0 && !exited_) {
      ::kill(pid_, SIGKILL);
      Wait();
    }
  }

  void Signal(int signal_number) { ::kill(pid_, signal_number); }

  // Waits for exit; returns the exit code, or 128 + signal.
  int Wait() {
    int status = 0;
    ::waitpid(pid_, &status, 0);
    exited_ = true;
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  }

  // Waits up to `timeout` for the output to contain `text`.
  bool WaitForOutput(const std::string& text, std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
      if (Output().find(text) != std::string::npos) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return false;
  }

  std::string Output() const {
    std::ifstream in(output_path_);
    std::stringstream buffer;
    buffer << in.rdbuf();
    return buffer.str();
  }

 private:
  pid_t pid_ = -1;
  bool exited_ = false;
  std::string output_path_;
};

}  // namespace sixhearts::testing

#endif  // SIXHEARTS_TESTS_TESTING_SUBPROCESS_H_
