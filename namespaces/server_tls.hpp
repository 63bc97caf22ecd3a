// The server's internal-SSL material (JupyterHub's internal_ssl): its key,
// its certificate and the CA bundle it trusts, handed over on stdin (never
// argv, never a file the caller names) and installed by cgspawn inside the
// server's own mount namespace, where only the server's uid can read them.
// The place is fixed here, not chosen by the caller: a private read-only
// tmpfs over /run/cgspawn (cgspawn's root-only lock directory, which then
// shows only this) holding ssl/ (0700, the server's uid).
#pragma once

#include <sys/types.h>

#include <string>

namespace cgspawn::ns {

inline constexpr const char* kServerTlsMount = "/run/cgspawn";
inline constexpr const char* kServerTlsDir = "/run/cgspawn/ssl";
// The names the spawner's move_certs returns (spawner/cgroupspawner/tls.py).
inline constexpr const char* kServerTlsKey = "server.key";
inline constexpr const char* kServerTlsCert = "server.crt";
inline constexpr const char* kServerTlsCa = "ca.crt";

struct ServerTls {
  std::string key, cert, ca;  // PEM text
  // The owner of the directory and files: the server's uid/gid, known once
  // the identity is (a dynamic user's only after its uid is allocated).
  uid_t uid = static_cast<uid_t>(-1);
  gid_t gid = static_cast<gid_t>(-1);
};

// In the child's fresh mount namespace, as root: mount the private tmpfs,
// write ssl/ and the three files (key 0600, the others 0644, all the
// server's), then remount it read-only. Throws Error(System) naming the step.
void install_server_tls(const ServerTls& tls);

}  // namespace cgspawn::ns
