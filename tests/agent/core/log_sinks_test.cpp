// The agent's own log as journald and container collectors read it: priorities, DEVICE= and
// SINK= fields, the native protocol on a socket of the test's own, the `<N>` fallback, and JSON
// lines.
#include "agent/core/log_sinks.hpp"

#include <fcntl.h>
#include <spdlog/logger.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstring>
#include <map>
#include <nlohmann/json.hpp>

#include "tests/support/temp_dir.hpp"

namespace qsanfwd {
namespace {

/// A datagram socket bound where the journal's would be.
class fake_journal {
 public:
  explicit fake_journal(const std::filesystem::path& path) : path_(path) {
    fd_ = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    std::strncpy(address.sun_path, path.c_str(), sizeof address.sun_path - 1);
    if (::bind(fd_, reinterpret_cast<const sockaddr*>(&address), sizeof address) != 0) {
      throw std::runtime_error("cannot bind " + path.string());
    }
  }
  ~fake_journal() { ::close(fd_); }
  fake_journal(const fake_journal&) = delete;
  fake_journal& operator=(const fake_journal&) = delete;

  /// The next datagram's fields, waiting up to five seconds.
  std::map<std::string, std::string> receive() {
    pollfd p{fd_, POLLIN, 0};
    if (::poll(&p, 1, 5000) != 1) {
      return {};
    }
    std::string buffer(65536, '\0');
    const auto n = ::recv(fd_, buffer.data(), buffer.size(), 0);
    buffer.resize(static_cast<std::size_t>(std::max<ssize_t>(n, 0)));
    return parse(buffer);
  }

 private:
  static std::map<std::string, std::string> parse(std::string_view data) {
    std::map<std::string, std::string> fields;
    while (!data.empty()) {
      const auto end = data.find('\n');
      const auto eq = data.find('=');
      if (eq < end) {
        fields[std::string(data.substr(0, eq))] = data.substr(eq + 1, end - eq - 1);
        data.remove_prefix(end + 1);
        continue;
      }
      const auto key = std::string(data.substr(0, end));
      std::uint64_t size = 0;
      for (int i = 7; i >= 0; --i) {
        size = (size << 8) | static_cast<unsigned char>(data[end + 1 + static_cast<std::size_t>(i)]);
      }
      fields[key] = data.substr(end + 9, size);
      data.remove_prefix(end + 9 + size + 1);
    }
    return fields;
  }

  std::filesystem::path path_;
  int fd_ = -1;
};

spdlog::logger logger_to(const std::string& name, spdlog::sink_ptr sink) {
  spdlog::logger log(name, std::move(sink));
  log.set_level(spdlog::level::trace);
  return log;
}

TEST(log_sinks, journal_gets_priorities_and_device_and_sink_fields) {
  test::temp_dir dir;
  fake_journal journal(dir / "socket");
  set_log_devices({"array-01", "array-02"});
  auto sink = std::make_shared<journal_sink>(dir / "socket");
  auto device_log = logger_to("device", sink);
  device_log.warn("array-01: unreachable: connection refused");
  auto fields = journal.receive();
  EXPECT_EQ(fields["MESSAGE"], "array-01: unreachable: connection refused");
  EXPECT_EQ(fields["PRIORITY"], "4");
  EXPECT_EQ(fields["SYSLOG_IDENTIFIER"], "qsanfwd");
  EXPECT_EQ(fields["LOGGER"], "device");
  EXPECT_EQ(fields["DEVICE"], "array-01");
  EXPECT_EQ(fields.count("SINK"), 0U);

  auto sink_log = logger_to("sink.siem", sink);
  sink_log.error("2 event(s) rejected:\nsecond line");
  fields = journal.receive();
  EXPECT_EQ(fields["MESSAGE"], "2 event(s) rejected:\nsecond line") << "binary form";
  EXPECT_EQ(fields["PRIORITY"], "3");
  EXPECT_EQ(fields["SINK"], "siem");
  EXPECT_EQ(fields.count("DEVICE"), 0U);

  // Only a configured device's name is one: "replay 7: ..." names none.
  device_log.info("replay 7: done");
  fields = journal.receive();
  EXPECT_EQ(fields["PRIORITY"], "6");
  EXPECT_EQ(fields.count("DEVICE"), 0U);
  device_log.critical("x");
  EXPECT_EQ(journal.receive()["PRIORITY"], "2");
  device_log.debug("x");
  EXPECT_EQ(journal.receive()["PRIORITY"], "7");
}

TEST(log_sinks, without_a_journal_socket_lines_carry_a_priority_prefix) {
  test::temp_dir dir;
  const auto out = dir / "stderr";
  const int fd = ::open(out.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  ASSERT_GE(fd, 0);
  {
    auto log = logger_to("health", std::make_shared<journal_sink>(dir / "none", fd));
    log.warn("array-01: cannot read disks");
    log.info("started");
  }
  ::close(fd);
  EXPECT_EQ(test::read_file(out), "<4>health: array-01: cannot read disks\n<6>health: started\n");
}

TEST(log_sinks, journal_stream_is_recognised_by_device_and_inode) {
  test::temp_dir dir;
  const auto file = dir / "stream";
  const int fd = ::open(file.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
  ASSERT_GE(fd, 0);
  struct stat info {};
  ASSERT_EQ(::fstat(fd, &info), 0);
  const auto same = std::to_string(info.st_dev) + ":" + std::to_string(info.st_ino);
  const auto other = std::to_string(info.st_dev) + ":" + std::to_string(info.st_ino + 1);
  EXPECT_TRUE(is_journal_stream(fd, same.c_str()));
  // Inherited by a child whose stderr went elsewhere: not the journal.
  EXPECT_FALSE(is_journal_stream(fd, other.c_str()));
  EXPECT_FALSE(is_journal_stream(fd, nullptr));
  EXPECT_FALSE(is_journal_stream(fd, "garbage"));
  EXPECT_FALSE(is_journal_stream(fd, (same + "x").c_str()));
  ::close(fd);
}

TEST(log_sinks, json_lines_carry_time_level_message_device_and_sink) {
  test::temp_dir dir;
  const auto out = dir / "stderr";
  const int fd = ::open(out.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  ASSERT_GE(fd, 0);
  set_log_devices({"array-01"});
  {
    auto sink = std::make_shared<json_log_sink>(fd);
    logger_to("logs", sink).warn("array-01: a \"quoted\" \xff byte");
    logger_to("sink.archive", sink).info("delivering again");
  }
  ::close(fd);
  const auto text = test::read_file(out);
  const auto newline = text.find('\n');
  ASSERT_NE(newline, std::string::npos);
  const auto first = nlohmann::json::parse(text.substr(0, newline));
  EXPECT_EQ(first["level"], "warning");
  EXPECT_EQ(first["logger"], "logs");
  EXPECT_EQ(first["message"], "array-01: a \"quoted\" \xEF\xBF\xBD byte");
  EXPECT_EQ(first["device"], "array-01");
  EXPECT_FALSE(first.contains("sink"));
  EXPECT_EQ(first["time"].get<std::string>().size(), std::string("2026-12-07T09:04:00.123Z").size())
      << first["time"];
  const auto second = nlohmann::json::parse(text.substr(newline + 1));
  EXPECT_EQ(second["level"], "info");
  EXPECT_EQ(second["sink"], "archive");
  EXPECT_FALSE(second.contains("device"));
}

}  // namespace
}  // namespace qsanfwd
