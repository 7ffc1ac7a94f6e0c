#include "tests/sinks/syslog/rsyslog_fixture.hpp"

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <csignal>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include "tests/support/temp_dir.hpp"
#include "tests/support/wait.hpp"

namespace qsanfwd::test {
namespace {

const std::filesystem::path rsyslogd = "/usr/sbin/rsyslogd";

// A port the kernel says is free now: bind port 0 on 127.0.0.1, read it, close.
std::uint16_t free_port(int type) {
  const int fd = ::socket(AF_INET, type, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  if (fd < 0 || ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    throw std::runtime_error("cannot find a free port");
  }
  ::close(fd);
  return ntohs(addr.sin_port);
}

// Whether /proc/net/<table> has a socket bound to 127.0.0.1:port in `state` (hex, as the
// kernel writes it: 0A is LISTEN for TCP, 07 is an unconnected UDP socket).
bool bound(const std::string& table, std::uint16_t port, const std::string& state) {
  std::ifstream in("/proc/net/" + table);
  std::ostringstream want;
  want << "0100007F:" << std::uppercase << std::hex;
  want.width(4);
  want.fill('0');
  want << port;
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream fields(line);
    std::string slot, local, remote, st;
    fields >> slot >> local >> remote >> st;
    if (local == want.str() && st == state) {
      return true;
    }
  }
  return false;
}

}  // namespace

rsyslog::rsyslog(const std::filesystem::path& dir) : dir_(dir) {
  if (!std::filesystem::exists(rsyslogd)) {
    throw std::runtime_error(
        "rsyslogd not found at /usr/sbin/rsyslogd: these tests need a real rsyslog; install the "
        "Debian packages rsyslog and rsyslog-gnutls (.ci/run does)");
  }
  std::filesystem::create_directories(dir_ / "work");
  cert = make_tls_cert(dir_);
  udp_port = free_port(SOCK_DGRAM);
  tcp_port = free_port(SOCK_STREAM);
  tls_port = free_port(SOCK_STREAM);
  write_config();
  start();
}

rsyslog::~rsyslog() = default;

void rsyslog::write_config() const {
  const auto d = dir_.string();
  std::ostringstream c;
  c << "global(workDirectory=\"" << d << "/work\"\n"
    << "       parser.escapeControlCharactersOnReceive=\"off\" maxMessageSize=\"256k\"\n"
    << "       defaultNetstreamDriverCAFile=\"" << cert.cert_file.string() << "\"\n"
    << "       defaultNetstreamDriverCertFile=\"" << cert.cert_file.string() << "\"\n"
    << "       defaultNetstreamDriverKeyFile=\"" << cert.key_file.string() << "\")\n"
    << "module(load=\"imudp\")\n"
    << "module(load=\"imtcp\" maxSessions=\"200\")\n"
    << R"(template(name="records" type="list" option.jsonf="on") {
  property(outname="input" name="inputname" format="jsonf")
  property(outname="pri" name="pri" format="jsonf")
  property(outname="timestamp" name="timereported" dateFormat="rfc3339" format="jsonf")
  property(outname="hostname" name="hostname" format="jsonf")
  property(outname="app-name" name="app-name" format="jsonf")
  property(outname="procid" name="procid" format="jsonf")
  property(outname="msgid" name="msgid" format="jsonf")
  property(outname="structured-data" name="structured-data" format="jsonf")
  property(outname="msg" name="msg" format="jsonf")
}
)"
    << "ruleset(name=\"record\") {\n"
    << "  action(type=\"omfile\" file=\"" << d << "/records.jsonl\" template=\"records\")\n"
    << "}\n"
    << "input(type=\"imudp\" address=\"127.0.0.1\" port=\"" << udp_port
    << "\" ruleset=\"record\" name=\"udp\")\n"
    << "input(type=\"imtcp\" address=\"127.0.0.1\" port=\"" << tcp_port
    << "\" ruleset=\"record\" name=\"tcp\")\n"
    << "input(type=\"imtcp\" address=\"127.0.0.1\" port=\"" << tls_port
    << "\" ruleset=\"record\" name=\"tls\" streamDriver.name=\"gtls\" streamDriver.mode=\"1\" "
       "streamDriver.authMode=\"anon\")\n";
  write_file(dir_ / "rsyslog.conf", c.str());
}

bool rsyslog::listening() const {
  return bound("udp", udp_port, "07") && bound("tcp", tcp_port, "0A") &&
         bound("tcp", tls_port, "0A");
}

void rsyslog::start() {
  // A fresh pid file each time: after a SIGKILL the old one is left behind.
  const auto pid_file = dir_ / ("rsyslogd." + std::to_string(++starts_) + ".pid");
  process_ = std::make_unique<child_process>(
      rsyslogd,
      std::vector<std::string>{"-n", "-f", (dir_ / "rsyslog.conf").string(), "-i",
                               pid_file.string()},
      dir_ / "rsyslogd.log");
  if (!wait_until([&] { return listening() || !process_->running(); }) || !listening()) {
    throw std::runtime_error("rsyslogd did not start listening; its output:\n" +
                             read_file(dir_ / "rsyslogd.log"));
  }
}

void rsyslog::kill() {
  if (process_) {
    process_->kill(SIGKILL);
    process_->wait();
    process_.reset();
  }
}

std::vector<nlohmann::json> rsyslog::records() const {
  std::vector<nlohmann::json> out;
  std::ifstream in(dir_ / "records.jsonl");
  std::string line;
  while (std::getline(in, line)) {
    if (in.eof()) {
      break;  // no newline yet: rsyslog is still writing it
    }
    out.push_back(nlohmann::json::parse(line));
  }
  return out;
}

std::vector<nlohmann::json> rsyslog::records_of(const std::string& input) const {
  std::vector<nlohmann::json> out;
  for (auto& r : records()) {
    if (r.at("input") == input) {
      out.push_back(std::move(r));
    }
  }
  return out;
}

}  // namespace qsanfwd::test
