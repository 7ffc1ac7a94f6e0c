#pragma once

#include <string>
#include <vector>

#include "agent/net/tls_options.hpp"

namespace qsanfwd::net {

/// Something wrong with a file a `tls` block names, found without the network.
struct tls_file_problem {
  bool warning = false;  ///< false: the agent would fail to start (or to connect) with it
  std::string key;       ///< "ca_file", "cert_file" or "key_file"
  std::string file;
  std::string reason;
};

/// Checks the files `tls` names as client_tls_context() will read them: ca_file holds one
/// PEM certificate or more, cert_file a PEM certificate (its chain may follow), key_file a PEM
/// private key without a passphrase, and the key is the certificate's. Warns of a certificate
/// that has expired and of a key file its group or others may read. Reads local files only.
std::vector<tls_file_problem> check_tls_files(const tls_options& tls);

}  // namespace qsanfwd::net
