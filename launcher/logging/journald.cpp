#include "launcher/logging/journald.hpp"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <new>

#include "common/fd.hpp"
#include "common/files.hpp"

namespace cgspawn::journald {
namespace {

// journald raises its receive buffer to 8 MiB; a stream's send buffer as
// large keeps a burst of server output from blocking the server (libsystemd
// asks for the same).
constexpr int kStreamSendBuffer = 8 * 1024 * 1024;

bool socket_address(const char* path, sockaddr_un& addr, socklen_t& len) noexcept {
  size_t n = std::strlen(path);
  if (n >= sizeof(addr.sun_path)) return false;
  std::memset(&addr, 0, sizeof(addr));
  addr.sun_family = AF_UNIX;
  std::memcpy(addr.sun_path, path, n);
  len = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + n + 1);
  return true;
}

void append_le64(std::string& out, uint64_t v) {
  for (int i = 0; i < 8; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}

// A record that does not fit one datagram (EMSGSIZE: over the socket's send
// buffer): its bytes in a memfd, sealed so journald can trust its size, and
// the fd sent in an otherwise empty datagram.
int send_as_memfd(int sock, const sockaddr_un& addr, socklen_t len,
                  const std::string& record) noexcept {
  UniqueFd mem(::memfd_create("cgspawn-journal", MFD_CLOEXEC | MFD_ALLOW_SEALING));
  if (!mem) return errno;
  if (int err = write_all(mem.get(), record)) return err;
  if (::fcntl(mem.get(), F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_SEAL) < 0)
    return errno;
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int))] = {};
  msghdr msg{};
  msg.msg_name = const_cast<sockaddr_un*>(&addr);
  msg.msg_namelen = len;
  msg.msg_control = control;
  msg.msg_controllen = sizeof(control);
  cmsghdr* cmsg = CMSG_FIRSTHDR(&msg);
  cmsg->cmsg_level = SOL_SOCKET;
  cmsg->cmsg_type = SCM_RIGHTS;
  cmsg->cmsg_len = CMSG_LEN(sizeof(int));
  int fd = mem.get();
  std::memcpy(CMSG_DATA(cmsg), &fd, sizeof(int));
  return ::sendmsg(sock, &msg, MSG_NOSIGNAL) < 0 ? errno : 0;
}

}  // namespace

std::string encode(std::initializer_list<Field> fields) {
  std::string out;
  for (const Field& f : fields) {
    out.append(f.name);
    if (f.value.find('\n') == std::string_view::npos) {
      out.push_back('=');
    } else {
      out.push_back('\n');
      append_le64(out, f.value.size());
    }
    out.append(f.value);
    out.push_back('\n');
  }
  return out;
}

int send(std::initializer_list<Field> fields, const char* socket_path) noexcept try {
  sockaddr_un addr{};
  socklen_t len = 0;
  if (!socket_address(socket_path, addr, len)) return ENAMETOOLONG;
  std::string record = encode(fields);
  UniqueFd sock(::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  if (!sock) return errno;
  if (::sendto(sock.get(), record.data(), record.size(), MSG_NOSIGNAL,
               reinterpret_cast<const sockaddr*>(&addr), len) >= 0)
    return 0;
  if (errno != EMSGSIZE && errno != ENOBUFS) return errno;
  return send_as_memfd(sock.get(), addr, len, record);
} catch (const std::bad_alloc&) {
  return ENOMEM;
}

int open_stream(std::string_view identifier, int priority, bool level_prefix,
                const char* socket_path) noexcept try {
  if (identifier.find('\n') != std::string_view::npos || priority < 0 || priority > 7)
    return -EINVAL;
  sockaddr_un addr{};
  socklen_t len = 0;
  if (!socket_address(socket_path, addr, len)) return -ENAMETOOLONG;
  UniqueFd sock(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!sock) return -errno;
  if (::connect(sock.get(), reinterpret_cast<const sockaddr*>(&addr), len) < 0) return -errno;
  if (::shutdown(sock.get(), SHUT_RD) < 0) return -errno;
  int size = kStreamSendBuffer;
  (void)::setsockopt(sock.get(), SOL_SOCKET, SO_SNDBUF, &size, sizeof(size));  // best effort
  // The header: identifier, unit id (empty: journald takes it from the
  // peer's cgroup), priority, level prefix, then no forwarding to syslog,
  // kmsg or the console.
  std::string header(identifier);
  header += "\n\n";
  header += static_cast<char>('0' + priority);
  header += level_prefix ? "\n1\n0\n0\n0\n" : "\n0\n0\n0\n0\n";
  if (int err = write_all(sock.get(), header)) return -err;
  return sock.release();
} catch (const std::bad_alloc&) {
  return -ENOMEM;
}

}  // namespace cgspawn::journald
