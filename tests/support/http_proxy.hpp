#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace qsanfwd::test {

/// How the test proxy behaves.
struct proxy_behaviour {
  /// The Proxy-Authorization a request must carry ("Basic ..."); empty asks for none. A request
  /// without it is answered 407.
  std::string required_authorization;
  /// When not 0, every request is refused with this status (407, 403, 502...).
  int refuse_status = 0;

  static proxy_behaviour asking_for(std::string authorization) {
    return {std::move(authorization), 0};
  }
  static proxy_behaviour refusing(int status) { return {"", status}; }
};

/// A small HTTP proxy on 127.0.0.1, port 0, on a thread of its own: a coroutine TCP server that
/// answers CONNECT with 200 and then splices bytes both ways, and forwards plain requests in
/// absolute form ("POST http://host:port/path") to their server in origin form. It records
/// the request line and the Proxy-Authorization of every request it reads.
class http_proxy {
 public:
  explicit http_proxy(proxy_behaviour behaviour = {});
  ~http_proxy();
  http_proxy(const http_proxy&) = delete;
  http_proxy& operator=(const http_proxy&) = delete;

  std::uint16_t port() const;
  /// "http://127.0.0.1:PORT", or with `userinfo` ("user:password") before the host.
  std::string url(const std::string& userinfo = "") const;
  /// "CONNECT host:port" or "POST http://host:port/path", in the order read.
  std::vector<std::string> requests() const;
  /// The Proxy-Authorization of each request, "" when it had none.
  std::vector<std::string> authorizations() const;
  /// Connections accepted.
  int connections() const;

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

/// "Basic " and the base64 of "user:password", as Proxy-Authorization carries it.
std::string basic_credentials(const std::string& user, const std::string& password);

}  // namespace qsanfwd::test
