#pragma once

#include <boost/asio/ssl/context.hpp>
#include <memory>
#include <string>

#include "agent/net/tls_options.hpp"

namespace qsanfwd::net {

/// The SSL context for `tls`: system CAs plus `ca_file`, peer verification with the host name
/// check, or a SHA-256 pin of the leaf certificate instead of the chain. Throws on unreadable
/// files (a start-up error).
std::shared_ptr<boost::asio::ssl::context> make_client_tls_context(const tls_options& tls,
                                                                   const std::string& host);

}  // namespace qsanfwd::net
