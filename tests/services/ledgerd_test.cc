// The real ledgerd binary: start-up errors and a clean stop on SIGTERM.
#include <signal.h>

#include "gtest/gtest.h"
#include "tests/testing/subprocess.h"
#include "tests/testing/test_events.h"

namespace sixhearts {
namespace {

using ::sixhearts::testing::Subprocess;
using ::sixhearts::testing::TempDir;
using namespace std::chrono_literals;

// Ports from a range the tests own; each test uses its own.
std::string Listen(int offset) {
  return "127.0.0.1:" + std::to_string(46000 + offset + getpid() % 1000);
}

TEST(LedgerdTest, StopsCleanlyOnSigterm) {
  TempDir dir;
  Subprocess server({LEDGERD_PATH, "--data-dir", dir.sub("a"), "--listen", Listen(0)},
                    dir.sub("out"));
  ASSERT_TRUE(server.WaitForOutput("serving on", 10s)) << server.Output();
  server.Signal(SIGTERM);
  EXPECT_EQ(server.Wait(), 0);
  EXPECT_NE(server.Output().find("stopped cleanly"), std::string::npos) << server.Output();
}

TEST(LedgerdTest, NamesAPortInUseAndALockedDirectory) {
  TempDir dir;
  const std::string listen = Listen(1);
  Subprocess first({LEDGERD_PATH, "--data-dir", dir.sub("a"), "--listen", listen}, dir.sub("out1"));
  ASSERT_TRUE(first.WaitForOutput("serving on", 10s)) << first.Output();

  Subprocess same_port({LEDGERD_PATH, "--data-dir", dir.sub("b"), "--listen", listen},
                       dir.sub("out2"));
  EXPECT_EQ(same_port.Wait(), 1);
  EXPECT_NE(same_port.Output().find("cannot listen on " + listen +
                                    ": the port is in use or the address is not one of this "
                                    "host's"),
            std::string::npos)
      << same_port.Output();

  Subprocess same_dir({LEDGERD_PATH, "--data-dir", dir.sub("a"), "--listen", Listen(2)},
                      dir.sub("out3"));
  EXPECT_EQ(same_dir.Wait(), 1);
  EXPECT_NE(same_dir.Output().find("the data directory is locked by another process"),
            std::string::npos)
      << same_dir.Output();
  first.Signal(SIGTERM);
  EXPECT_EQ(first.Wait(), 0);
}

TEST(LedgerdTest, NamesADataDirectoryThatIsAFile) {
  TempDir dir;
  { std::ofstream(dir.sub("file")) << "x"; }
  Subprocess server(
      {LEDGERD_PATH, "--data-dir", dir.sub("file") + "/ledger", "--listen", Listen(3)},
      dir.sub("out"));
  EXPECT_EQ(server.Wait(), 1);
  EXPECT_NE(server.Output().find("cannot create data directory"), std::string::npos)
      << server.Output();
}

}  // namespace
}  // namespace sixhearts
