// The status page in a real browser: headless Chromium (Debian's `chromium`) driven over the
// DevTools protocol loads the agent's `/`, shows a disk qsan-sim failed within one refresh
// after the agent's health poll, clears it when the disk is back, says so when the agent is
// gone and recovers when it is back. Screenshots land in <build>/artifacts/.
#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <signal.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <regex>
#include <sstream>

#include "sim/simulator.hpp"
#include "tests/support/process.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/support/wait.hpp"

namespace qsanfwd {
namespace {

using namespace std::chrono_literals;
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
using tcp = asio::ip::tcp;

/// Debian's chromium on the PATH, or empty.
std::filesystem::path find_chromium() {
  const char* path = std::getenv("PATH");
  std::istringstream dirs(path ? path : "");
  for (std::string dir; std::getline(dirs, dir, ':');) {
    const auto candidate = std::filesystem::path(dir) / "chromium";
    if (!dir.empty() && ::access(candidate.c_str(), X_OK) == 0) {
      return candidate;
    }
  }
  return {};
}

std::string http_get(std::uint16_t port, const std::string& target) {
  asio::io_context io;
  beast::tcp_stream s(io);
  s.expires_after(5s);
  s.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port));
  http::request<http::empty_body> req{http::verb::get, target, 11};
  // With the port: DevTools writes the Host it is asked by into the URLs it answers.
  req.set(http::field::host, "127.0.0.1:" + std::to_string(port));
  http::write(s, req);
  beast::flat_buffer buf;
  http::response<http::string_body> res;
  http::read(s, buf, res);
  return res.body();
}

std::string base64_decode(const std::string& text) {
  std::string out(3 * (text.size() / 4), '\0');
  const int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(text.data()),
                                static_cast<int>(text.size()));
  if (n < 0) {
    throw std::runtime_error("screenshot: not base64");
  }
  // EVP_DecodeBlock counts the padding as zero bytes.
  const auto padding = text.size() - text.find_last_not_of('=') - 1;
  out.resize(static_cast<std::size_t>(n) - padding);
  return out;
}

/// One page target of the browser over the DevTools protocol: commands answered in order,
/// the page's console errors and uncaught exceptions collected from the events in between.
class devtools_page {
 public:
  explicit devtools_page(const std::string& ws_url) : ws_(io_) {
    static const std::regex url(R"(ws://([\d.]+):(\d+)(/.*))");
    std::smatch m;
    if (!std::regex_match(ws_url, m, url)) {
      throw std::runtime_error("unexpected DevTools URL " + ws_url);
    }
    auto& socket = beast::get_lowest_layer(ws_);
    socket.expires_after(5s);
    socket.connect(tcp::endpoint(asio::ip::make_address(m[1].str()),
                                 static_cast<std::uint16_t>(std::stoi(m[2]))));
    socket.expires_never();
    ws_.read_message_max(64 << 20);  // screenshots
    ws_.handshake(m[1].str() + ":" + m[2].str(), m[3].str());
  }

  /// Sends `method` and returns its result; throws on a protocol error or after 10 s.
  nlohmann::json call(const std::string& method, nlohmann::json params = nlohmann::json::object()) {
    const int id = ++last_id_;
    ws_.write(
        asio::buffer(nlohmann::json{{"id", id}, {"method", method}, {"params", params}}.dump()));
    for (;;) {
      auto message = nlohmann::json::parse(read());
      if (!message.contains("id")) {
        note_event(message);
      } else if (message["id"] == id) {
        if (message.contains("error")) {
          throw std::runtime_error(method + ": " + message["error"].dump());
        }
        return message.value("result", nlohmann::json::object());
      }
    }
  }

  /// The value of a JavaScript expression in the page.
  nlohmann::json evaluate(const std::string& expression) {
    const auto r = call("Runtime.evaluate", {{"expression", expression}, {"returnByValue", true}});
    if (r.contains("exceptionDetails")) {
      throw std::runtime_error(expression + ": " + r["exceptionDetails"].dump());
    }
    return r.value("result", nlohmann::json::object()).value("value", nlohmann::json());
  }

  /// Whether `expression` comes true within `deadline`, evaluated every 100 ms.
  bool wait_for(const std::string& expression, std::chrono::milliseconds deadline) {
    return test::wait_until([&] { return evaluate(expression) == true; }, deadline);
  }

  void screenshot(const std::filesystem::path& file) {
    const auto r = call("Page.captureScreenshot", {{"format", "png"}});
    std::filesystem::create_directories(file.parent_path());
    std::ofstream(file, std::ios::binary) << base64_decode(r.value("data", std::string()));
    std::cout << "screenshot: " << file.string() << "\n";
  }

  const std::vector<std::string>& errors() const { return errors_; }

 private:
  std::string read() {
    beast::flat_buffer buf;
    beast::error_code ec;
    bool done = false;
    ws_.async_read(buf, [&](beast::error_code e, std::size_t) {
      ec = e;
      done = true;
    });
    io_.restart();
    io_.run_for(10s);
    if (!done) {
      beast::get_lowest_layer(ws_).close();
      io_.restart();
      io_.run();
      throw std::runtime_error("DevTools: no message in 10 s");
    }
    if (ec) {
      throw beast::system_error(ec, "DevTools read");
    }
    return beast::buffers_to_string(buf.data());
  }

  void note_event(const nlohmann::json& m) {
    const auto method = m.value("method", std::string());
    const auto& p = m.contains("params") ? m["params"] : nlohmann::json::object();
    if (method == "Runtime.exceptionThrown") {
      errors_.push_back("exception: " + p.dump());
    } else if (method == "Runtime.consoleAPICalled" &&
               (p.value("type", "") == "error" || p.value("type", "") == "assert")) {
      errors_.push_back("console: " + p.dump());
    } else if (method == "Log.entryAdded" && p.contains("entry") &&
               p["entry"].value("level", "") == "error") {
      errors_.push_back("log: " + p["entry"].dump());
    }
  }

  asio::io_context io_;
  websocket::stream<beast::tcp_stream> ws_;
  int last_id_ = 0;
  std::vector<std::string> errors_;
};

std::string config_text(const test::temp_dir& dir, std::uint16_t array_port,
                        const std::string& api_port = "0") {
  return R"({
    "state_dir": ")" +
         (dir / "state").string() + R"(",
    "http_api": { "listen": "127.0.0.1:)" +
         api_port + R"(" },
    "shutdown_timeout": "1s",
    "devices": [ { "name": "array-01", "url": "http://127.0.0.1:)" +
         std::to_string(array_port) +
         R"(", "username": "admin", "password": "password",
                   "logs": { "interval": "1s" }, "health": { "interval": "1s" } } ],
    "sinks": [ { "name": "archive", "type": "file", "path": ")" +
         (dir / "archive.jsonl").string() + R"(", "batch": { "max_delay": "100ms" } } ]
  })";
}

/// What the page shows in its open alarms.
constexpr auto alarms_text = "document.getElementById('alarms').textContent";

TEST(status_page, shows_a_failed_disk_and_its_recovery_in_a_browser) {
  const auto chromium = find_chromium();
  ASSERT_FALSE(chromium.empty())
      << "chromium not found on the PATH: this test needs Debian's chromium package "
         "(apt-get install chromium; .ci/setup.sh installs it)";
  test::temp_dir dir;
  sim::options o;
  o.live_rate = 5;
  sim::running_simulator array(o);
  test::write_file(dir / "config.json", config_text(dir, array.port()));
  test::child_process agent(test::qsanfwd_binary(), {"run", "-c", (dir / "config.json").string()},
                            dir / "agent.log");
  const auto api = test::wait_for_line(
      dir / "agent.log", std::regex(R"(HTTP API listening on 127\.0\.0\.1:(\d+))"), 20s);
  ASSERT_FALSE(api.empty()) << test::read_file(dir / "agent.log");

  // Its own process group, so that its helpers (zygote, renderer, GPU) go with it.
  test::child_process browser(
      chromium,
      {"--headless=new", "--no-sandbox", "--remote-debugging-port=0",
       "--user-data-dir=" + (dir / "chromium").string(), "--no-first-run",
       "--no-default-browser-check", "--disable-gpu", "--disable-dev-shm-usage",
       "--disable-extensions", "--disable-background-networking", "--disable-component-update",
       "--disable-sync", "--window-size=1000,900", "about:blank"},
      dir / "chromium.log", 0, true);
  const auto devtools_port = test::wait_for_line(
      dir / "chromium.log", std::regex(R"(DevTools listening on ws://127\.0\.0\.1:(\d+)/)"), 20s);
  ASSERT_FALSE(devtools_port.empty()) << test::read_file(dir / "chromium.log");
  const auto port = static_cast<std::uint16_t>(std::stoi(devtools_port));
  std::string target;
  for (const auto& t : nlohmann::json::parse(http_get(port, "/json/list"))) {
    if (t.value("type", "") == "page") {
      target = t.value("webSocketDebuggerUrl", "");
    }
  }
  ASSERT_FALSE(target.empty()) << "no page target";

  devtools_page page(target);
  page.call("Runtime.enable");
  page.call("Log.enable");
  page.call("Page.enable");
  const auto url = "http://127.0.0.1:" + api + "/";
  page.call("Page.navigate", {{"url", url}});
  // Until the page has replaced about:blank, its elements are not there to ask about.
  ASSERT_TRUE(
      page.wait_for("location.href === '" + url + "' && document.readyState === 'complete'", 10s));
  ASSERT_TRUE(
      page.wait_for("document.getElementById('updated').textContent.startsWith('updated') && "
                    "document.getElementById('devices').textContent.includes('array-01')",
                    10s))
      << page.evaluate("document.body.innerText");
  EXPECT_EQ(page.evaluate(alarms_text), "No open alarms.");

  // The first health poll takes the array as it is (its inventory); a change after it is news.
  ASSERT_TRUE(test::wait_until(
      [&] {
        return test::read_file(dir / "archive.jsonl").find("\"inventory\"") != std::string::npos;
      },
      10s));
  ASSERT_TRUE(array->fail_disk("e0d3"));
  // One health poll (1 s), one refresh of the page (3 s), and room for a slow machine.
  ASSERT_TRUE(page.wait_for(std::string(alarms_text) + ".includes('e0d3')", 7s))
      << page.evaluate("document.body.innerText");
  const auto shown = page.evaluate(alarms_text).get<std::string>();
  EXPECT_NE(shown.find("critical"), std::string::npos) << shown;
  EXPECT_NE(shown.find("Failed"), std::string::npos) << shown;
  const auto artifacts = std::filesystem::path(std::getenv("QSANFWD_BINARY_DIR")) / "artifacts";
  page.screenshot(artifacts / "status_page.png");

  // A phone: nothing wider than its 360 px.
  page.call("Emulation.setDeviceMetricsOverride",
            {{"width", 360}, {"height", 780}, {"deviceScaleFactor", 2}, {"mobile", true}});
  EXPECT_TRUE(page.wait_for("document.documentElement.scrollWidth <= 360", 2s))
      << page.evaluate("document.documentElement.scrollWidth");
  page.screenshot(artifacts / "status_page_phone.png");
  page.call("Emulation.clearDeviceMetricsOverride");

  ASSERT_TRUE(array->restore_disk("e0d3"));
  EXPECT_TRUE(page.wait_for(std::string(alarms_text) + " === 'No open alarms.'", 7s))
      << page.evaluate(alarms_text);
  EXPECT_TRUE(page.errors().empty()) << page.errors().front();

  // The agent gone: the page says so instead of showing old news as current.
  agent.stop(5s);
  EXPECT_TRUE(page.wait_for(
      "document.getElementById('banner').textContent.includes('Cannot reach the agent')", 7s))
      << page.evaluate("document.body.innerText");
  page.screenshot(artifacts / "status_page_unreachable.png");

  // Back on the same address: the page recovers by itself at its next refresh.
  test::write_file(dir / "config.json", config_text(dir, array.port(), api));
  test::child_process again(test::qsanfwd_binary(), {"run", "-c", (dir / "config.json").string()},
                            dir / "agent.log");
  EXPECT_TRUE(
      page.wait_for("!document.body.classList.contains('stale') && "
                    "!document.getElementById('banner').classList.contains('shown')",
                    10s))
      << page.evaluate("document.body.innerText") << test::read_file(dir / "agent.log");
}

}  // namespace
}  // namespace qsanfwd
