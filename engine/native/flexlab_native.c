// flexlab native addon (N-API, C): what Node cannot do by itself for the ESP data path.
//
//  - TUN devices: open /dev/net/tun and TUNSETIFF (IFF_TUN | IFF_NO_PI), non-blocking.
//  - Batched readers on the main loop: a libuv uv_poll_t on the fd; when readable, read up to
//    maxPackets packets (read(2) for TUN, one recvmmsg(2) for UDP) into a slab Buffer owned by JS and
//    call JS once per batch with (count, slab); offsets and lengths go into an Int32Array JS gave
//    us. No thread-pool hop and no copy per packet.
//  - Writes: write(2) per packet (TUN has no batch write), sendmmsg(2) for UDP.
//  - Network namespaces: setns(2) around the creation of a TUN device or socket, so one process can
//    own devices and sockets in several namespaces (a socket keeps the namespace it was made in).
//  - Interface configuration without forking `ip`: addresses and routes over rtnetlink, MTU and
//    up/down by ioctl.
//
// Errors from calls made on behalf of JS are thrown as Error objects with code/errno/syscall like
// Node's own; per-packet I/O functions return -errno instead of throwing.

#include <node_api.h>
#include <uv.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/if_addr.h>
#include <linux/if_link.h>
#include <linux/if_tun.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sched.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/uio.h>
#include <unistd.h>

#define MAX_BATCH 1024
#define UDP_META_INTS 8 /* offset, length (-1 = truncated), port, family, 16 address bytes */
#define TUN_META_INTS 2 /* offset, length */

#define NAPI_CALL(env, call)                                                   \
  do {                                                                         \
    napi_status status_ = (call);                                              \
    if (status_ != napi_ok) {                                                  \
      throw_napi(env, #call);                                                  \
      return NULL;                                                             \
    }                                                                          \
  } while (0)

// ---------------------------------------------------------------------------------------------
// Error helpers

static void throw_napi(napi_env env, const char *what) {
  bool pending = false;
  napi_is_exception_pending(env, &pending);
  if (pending) return;
  const napi_extended_error_info *info = NULL;
  napi_get_last_error_info(env, &info);
  char msg[256];
  snprintf(msg, sizeof msg, "N-API call failed: %s (%s)", what,
           info && info->error_message ? info->error_message : "unknown");
  napi_throw_error(env, NULL, msg);
}

/** Throws an Error like Node's: message "<what>: <strerror>", code "EPERM", errno -1, syscall. */
static void throw_errno(napi_env env, int err, const char *syscall, const char *what) {
  char msg[512];
  const char *name = strerrorname_np(err);
  snprintf(msg, sizeof msg, "%s: %s failed: %s", what, syscall, strerror(err));
  napi_value code = NULL, message = NULL, error = NULL, v = NULL;
  napi_create_string_utf8(env, name ? name : "EUNKNOWN", NAPI_AUTO_LENGTH, &code);
  napi_create_string_utf8(env, msg, NAPI_AUTO_LENGTH, &message);
  napi_create_error(env, code, message, &error);
  napi_create_int32(env, -err, &v);
  napi_set_named_property(env, error, "errno", v);
  napi_create_string_utf8(env, syscall, NAPI_AUTO_LENGTH, &v);
  napi_set_named_property(env, error, "syscall", v);
  napi_throw(env, error);
}

static bool arg_int32(napi_env env, napi_value v, int32_t *out, const char *name) {
  napi_valuetype t;
  if (napi_typeof(env, v, &t) != napi_ok || t != napi_number) {
    char msg[128];
    snprintf(msg, sizeof msg, "%s must be a number", name);
    napi_throw_type_error(env, NULL, msg);
    return false;
  }
  napi_get_value_int32(env, v, out);
  return true;
}

static bool arg_string(napi_env env, napi_value v, char *buf, size_t size, const char *name) {
  napi_valuetype t;
  size_t len = 0;
  if (napi_typeof(env, v, &t) != napi_ok || t != napi_string) {
    char msg[128];
    snprintf(msg, sizeof msg, "%s must be a string", name);
    napi_throw_type_error(env, NULL, msg);
    return false;
  }
  napi_get_value_string_utf8(env, v, NULL, 0, &len);
  if (len >= size) {
    char msg[128];
    snprintf(msg, sizeof msg, "%s is too long (%zu bytes, at most %zu)", name, len, size - 1);
    napi_throw_range_error(env, NULL, msg);
    return false;
  }
  napi_get_value_string_utf8(env, v, buf, size, &len);
  return true;
}

static bool opt_bool(napi_env env, napi_value obj, const char *key) {
  napi_valuetype t;
  if (napi_typeof(env, obj, &t) != napi_ok || t != napi_object) return false;
  bool has = false;
  napi_has_named_property(env, obj, key, &has);
  if (!has) return false;
  napi_value v;
  bool b = false;
  napi_get_named_property(env, obj, key, &v);
  napi_coerce_to_bool(env, v, &v);
  napi_get_value_bool(env, v, &b);
  return b;
}

static bool is_undefined(napi_env env, napi_value v) {
  napi_valuetype t;
  return napi_typeof(env, v, &t) != napi_ok || t == napi_undefined || t == napi_null;
}

// ---------------------------------------------------------------------------------------------
// Network namespaces

/*
 * The calling thread's rtnetlink socket (nl_socket below), kept open between calls. A socket
 * stays in the namespace it was made in and keeps that namespace alive, so it is closed whenever
 * the thread switches namespace (withNetns, netnsOpenTun and udpOpen switch the calling thread;
 * Node itself never calls setns(2)) and made again by the next call. Measured per route on this
 * machine: a socket per call ~21 us, a cached one checked with stat(/proc/thread-self/ns/net)
 * ~13 us, this one ~8.5 us.
 */
static __thread struct {
  int fd;
  uint32_t seq;
  uint32_t opened; /* sockets opened so far (for tests and measurements) */
} nl = { .fd = -1 };

static void netns_switched(void) {
  if (nl.fd >= 0) close(nl.fd);
  nl.fd = -1;
}

/** Env cleanup hook: runs on the env's own thread (a worker's, or the main one at exit). */
static void nl_cleanup(void *arg) {
  netns_switched();
}

/** Switches this thread into the namespace at `path`; *saved gets an fd of the previous one. */
static int netns_enter(const char *path, int *saved, const char **syscall) {
  int cur = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
  if (cur < 0) { *syscall = "open /proc/thread-self/ns/net"; return -errno; }
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) { int e = errno; close(cur); *syscall = "open"; return -e; }
  if (setns(fd, CLONE_NEWNET) < 0) { int e = errno; close(fd); close(cur); *syscall = "setns"; return -e; }
  close(fd);
  netns_switched();
  *saved = cur;
  return 0;
}

static int netns_leave(int saved) {
  int r = setns(saved, CLONE_NEWNET);
  int e = errno;
  netns_switched();
  close(saved);
  return r < 0 ? -e : 0;
}

// setns(path: string, nstype?: number): void
static napi_value js_setns(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  NAPI_CALL(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  char path[4096];
  if (argc < 1 || !arg_string(env, argv[0], path, sizeof path, "path")) return NULL;
  int32_t nstype = CLONE_NEWNET;
  if (argc >= 2 && !is_undefined(env, argv[1]) && !arg_int32(env, argv[1], &nstype, "nstype")) return NULL;
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) { throw_errno(env, errno, "open", path); return NULL; }
  int r = setns(fd, nstype);
  int e = errno;
  close(fd);
  netns_switched();
  if (r < 0) { throw_errno(env, e, "setns", path); return NULL; }
  return NULL;
}

// netnsEnter(path: string): number  (fd of the namespace left, for netnsRestore)
static napi_value js_netns_enter(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1], result;
  NAPI_CALL(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  char path[4096];
  if (argc < 1 || !arg_string(env, argv[0], path, sizeof path, "path")) return NULL;
  int saved = -1;
  const char *sc = "";
  int r = netns_enter(path, &saved, &sc);
  if (r < 0) { throw_errno(env, -r, sc, path); return NULL; }
  NAPI_CALL(env, napi_create_int32(env, saved, &result));
  return result;
}

// netnsRestore(savedFd: number): void
static napi_value js_netns_restore(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  NAPI_CALL(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  int32_t fd;
  if (argc < 1 || !arg_int32(env, argv[0], &fd, "savedFd")) return NULL;
  int r = netns_leave(fd);
  if (r < 0) { throw_errno(env, -r, "setns", "netnsRestore"); return NULL; }
  return NULL;
}

// ---------------------------------------------------------------------------------------------
// rtnetlink: addresses and routes of an interface without forking `ip` (a hub configures one
// virtual-access interface per session; the fork+exec of `ip` cost ~5 ms of CPU each time).
// Each call sends one request with NLM_F_ACK and reads the kernel's answer (the kernel handles a
// NETLINK_ROUTE request inside sendmsg, so the ack is already queued when it returns).

static int nl_socket(void) {
  if (nl.fd >= 0) return nl.fd;
  int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
  if (fd < 0) return -errno;
  int one = 1;
  // Extended acks carry the kernel's own explanation ("Nexthop device is not up"); CAP_ACK keeps
  // the request out of the ack.
  setsockopt(fd, SOL_NETLINK, NETLINK_EXT_ACK, &one, sizeof one);
  setsockopt(fd, SOL_NETLINK, NETLINK_CAP_ACK, &one, sizeof one);
  // The ack is queued before sendto returns; should it ever be lost (ENOBUFS), do not wait forever.
  struct timeval tv = { .tv_sec = 5, .tv_usec = 0 };
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  struct sockaddr_nl local = { .nl_family = AF_NETLINK };
  if (bind(fd, (struct sockaddr *)&local, sizeof local) < 0) { int e = errno; close(fd); return -e; }
  nl.fd = fd;
  nl.opened++;
  return fd;
}

typedef struct {
  struct nlmsghdr h;
  union {
    struct ifaddrmsg ifa;
    struct rtmsg rt;
    struct ifinfomsg ifi;
  } u;
  char attrs[128];
} nl_request_t;

static void nl_attr(nl_request_t *req, unsigned short type, const void *data, size_t len) {
  struct rtattr *a = (struct rtattr *)((char *)req + NLMSG_ALIGN(req->h.nlmsg_len));
  a->rta_type = type;
  a->rta_len = RTA_LENGTH(len);
  if (len) memcpy(RTA_DATA(a), data, len);
  req->h.nlmsg_len = NLMSG_ALIGN(req->h.nlmsg_len) + RTA_ALIGN(a->rta_len);
}

/**
 * Sends `req` and reads its ack. Returns 0 or -errno; `detail` gets the kernel's extended-ack
 * message when it sent one.
 */
static int nl_transact(int fd, nl_request_t *req, char *detail, size_t detail_size) {
  detail[0] = 0;
  req->h.nlmsg_flags |= NLM_F_REQUEST | NLM_F_ACK;
  req->h.nlmsg_seq = ++nl.seq;
  struct sockaddr_nl kernel = { .nl_family = AF_NETLINK };
  ssize_t n;
  do n = sendto(fd, req, req->h.nlmsg_len, 0, (struct sockaddr *)&kernel, sizeof kernel); while (n < 0 && errno == EINTR);
  if (n < 0) return -errno;
  char buf[8192] __attribute__((aligned(NLMSG_ALIGNTO)));
  for (;;) {
    do n = recv(fd, buf, sizeof buf, 0); while (n < 0 && errno == EINTR);
    if (n < 0) return errno == EAGAIN || errno == EWOULDBLOCK ? -ETIMEDOUT : -errno;
    for (struct nlmsghdr *h = (struct nlmsghdr *)buf; NLMSG_OK(h, (size_t)n); h = NLMSG_NEXT(h, n)) {
      // A late answer to an earlier request that timed out: not ours.
      if (h->nlmsg_seq != req->h.nlmsg_seq || h->nlmsg_type != NLMSG_ERROR) continue;
      if (h->nlmsg_len < NLMSG_LENGTH(sizeof(struct nlmsgerr))) return -EPROTO;
      struct nlmsgerr *err = NLMSG_DATA(h);
      if (err->error && (h->nlmsg_flags & NLM_F_ACK_TLVS)) {
        // CAP_ACK: the TLVs follow the echoed request's header only.
        size_t off = NLMSG_LENGTH(sizeof *err);
        while (off + sizeof(struct nlattr) <= h->nlmsg_len) {
          struct nlattr *a = (struct nlattr *)((char *)h + off);
          if (a->nla_len < sizeof *a || off + a->nla_len > h->nlmsg_len) break;
          if ((a->nla_type & NLA_TYPE_MASK) == NLMSGERR_ATTR_MSG) {
            snprintf(detail, detail_size, "%.*s", (int)(a->nla_len - sizeof *a), (char *)(a + 1));
            break;
          }
          off += NLA_ALIGN(a->nla_len);
        }
      }
      return err->error;
    }
  }
}

/** "10.0.0.1/32" or "2001:db8::1" (a host prefix): family, 16 address bytes, prefix length. */
static bool parse_cidr(const char *text, int *family, uint8_t addr[16], int *prefix) {
  char host[INET6_ADDRSTRLEN + 1];
  const char *slash = strchr(text, '/');
  size_t hl = slash ? (size_t)(slash - text) : strlen(text);
  if (hl == 0 || hl >= sizeof host) return false;
  memcpy(host, text, hl);
  host[hl] = 0;
  *family = strchr(host, ':') ? AF_INET6 : AF_INET;
  if (inet_pton(*family, host, addr) != 1) return false;
  int max = *family == AF_INET6 ? 128 : 32;
  if (!slash) { *prefix = max; return true; }
  char *end;
  long p = strtol(slash + 1, &end, 10);
  if (end == slash + 1 || *end || p < 0 || p > max) return false;
  *prefix = (int)p;
  return true;
}

static int nl_ifindex(int fd, const char *name) {
  // SIOCGIFINDEX on the netlink socket itself (the kernel falls back to dev_ioctl for any family).
  struct ifreq ifr;
  memset(&ifr, 0, sizeof ifr);
  memcpy(ifr.ifr_name, name, IFNAMSIZ); /* name: a NUL-terminated IFNAMSIZ buffer */
  if (ioctl(fd, SIOCGIFINDEX, &ifr) < 0) return -errno;
  return ifr.ifr_ifindex;
}

/** Throws "<op> <what> dev <ifname>: <strerror>[ (<kernel's message>)]" with code, errno, syscall. */
static void throw_netlink(napi_env env, int err, const char *op, const char *what, const char *ifname, const char *detail) {
  char msg[512];
  snprintf(msg, sizeof msg, "%s %s dev %s: %s%s%s%s", op, what, ifname, strerror(err), detail[0] ? " (" : "", detail, detail[0] ? ")" : "");
  const char *name = strerrorname_np(err);
  napi_value code = NULL, message = NULL, error = NULL, v = NULL;
  napi_create_string_utf8(env, name ? name : "EUNKNOWN", NAPI_AUTO_LENGTH, &code);
  napi_create_string_utf8(env, msg, NAPI_AUTO_LENGTH, &message);
  napi_create_error(env, code, message, &error);
  napi_create_int32(env, -err, &v);
  napi_set_named_property(env, error, "errno", v);
  napi_create_string_utf8(env, op, NAPI_AUTO_LENGTH, &v);
  napi_set_named_property(env, error, "syscall", v);
  napi_throw(env, error);
}

enum nl_op { NL_ADD, NL_REPLACE, NL_DEL };

/** Reads (op, ifname, cidr) arguments; false (and a pending TypeError) when they are wrong. */
static bool nl_args(napi_env env, napi_callback_info info, int *op, char *ifname, char *cidr, size_t cidr_size,
                    int *family, uint8_t addr[16], int *prefix) {
  size_t argc = 3;
  napi_value argv[3];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok) { throw_napi(env, "napi_get_cb_info"); return false; }
  char ops[16];
  if (argc < 3 || !arg_string(env, argv[0], ops, sizeof ops, "op") || !arg_string(env, argv[1], ifname, IFNAMSIZ, "interface name") ||
      !arg_string(env, argv[2], cidr, cidr_size, "address"))
    return false;
  if (!strcmp(ops, "add")) *op = NL_ADD;
  else if (!strcmp(ops, "replace")) *op = NL_REPLACE;
  else if (!strcmp(ops, "del")) *op = NL_DEL;
  else {
    napi_throw_type_error(env, NULL, "op must be 'add', 'replace' or 'del'");
    return false;
  }
  if (!parse_cidr(cidr, family, addr, prefix)) {
    char msg[128];
    snprintf(msg, sizeof msg, "not an IPv4 or IPv6 address/prefix: \"%s\"", cidr);
    napi_throw_type_error(env, NULL, msg);
    return false;
  }
  return true;
}

static const uint16_t nl_create_flags[] = {
  [NL_ADD] = NLM_F_CREATE | NLM_F_EXCL,
  [NL_REPLACE] = NLM_F_CREATE | NLM_F_REPLACE,
  [NL_DEL] = 0,
};

// One address or route request: the arguments, the socket and the interface index (nl_call_begin),
// then the message built by the caller, sent and acknowledged (nl_call_end); every failure throws
// with the operation, the prefix, the device and the kernel's own explanation.
typedef struct {
  int op, family, prefix, fd, index;
  char ifname[IFNAMSIZ], cidr[64], detail[256];
  uint8_t addr[16];
  const char *what;
  nl_request_t req;
} nl_call_t;

static bool nl_call_begin(napi_env env, napi_callback_info info, nl_call_t *c, const char *new_name, const char *del_name) {
  memset(c, 0, sizeof *c);
  if (!nl_args(env, info, &c->op, c->ifname, c->cidr, sizeof c->cidr, &c->family, c->addr, &c->prefix)) return false;
  c->what = c->op == NL_DEL ? del_name : new_name;
  c->fd = nl_socket();
  if (c->fd < 0) { throw_netlink(env, -c->fd, c->what, c->cidr, c->ifname, c->detail); return false; }
  c->index = nl_ifindex(c->fd, c->ifname);
  if (c->index < 0) { throw_netlink(env, -c->index, c->what, c->cidr, c->ifname, c->detail); return false; }
  c->req.h.nlmsg_flags = nl_create_flags[c->op];
  return true;
}

static napi_value nl_call_end(napi_env env, nl_call_t *c) {
  int r = nl_transact(c->fd, &c->req, c->detail, sizeof c->detail);
  if (r < 0) throw_netlink(env, -r, c->what, c->cidr, c->ifname, c->detail);
  return NULL;
}

// netlinkAddress(op: 'add' | 'replace' | 'del', ifname: string, cidr: string): void
static napi_value js_netlink_address(napi_env env, napi_callback_info info) {
  nl_call_t c;
  if (!nl_call_begin(env, info, &c, "RTM_NEWADDR", "RTM_DELADDR")) return NULL;
  c.req.h.nlmsg_len = NLMSG_LENGTH(sizeof(struct ifaddrmsg));
  c.req.h.nlmsg_type = c.op == NL_DEL ? RTM_DELADDR : RTM_NEWADDR;
  c.req.u.ifa.ifa_family = (uint8_t)c.family;
  c.req.u.ifa.ifa_prefixlen = (uint8_t)c.prefix;
  c.req.u.ifa.ifa_scope = RT_SCOPE_UNIVERSE;
  c.req.u.ifa.ifa_index = (uint32_t)c.index;
  size_t alen = c.family == AF_INET6 ? 16 : 4;
  if (c.family == AF_INET) {
    // Without a peer, IFA_LOCAL and IFA_ADDRESS are the same address (what `ip addr` sends).
    nl_attr(&c.req, IFA_LOCAL, c.addr, alen);
  } else if (c.op != NL_DEL) {
    // No duplicate address detection: the address is usable at once (RFC 4862 5.4 allows
    // skipping it; a TUN device is point-to-point and has nobody to collide with).
    c.req.u.ifa.ifa_flags = IFA_F_NODAD;
    uint32_t flags = IFA_F_NODAD;
    nl_attr(&c.req, IFA_FLAGS, &flags, sizeof flags);
  }
  nl_attr(&c.req, IFA_ADDRESS, c.addr, alen);
  return nl_call_end(env, &c);
}

// netlinkRoute(op: 'add' | 'replace' | 'del', ifname: string, cidr: string): void. A route of the
// main table straight into the device (no gateway), protocol static.
static napi_value js_netlink_route(napi_env env, napi_callback_info info) {
  nl_call_t c;
  if (!nl_call_begin(env, info, &c, "RTM_NEWROUTE", "RTM_DELROUTE")) return NULL;
  c.req.h.nlmsg_len = NLMSG_LENGTH(sizeof(struct rtmsg));
  c.req.h.nlmsg_type = c.op == NL_DEL ? RTM_DELROUTE : RTM_NEWROUTE;
  c.req.u.rt.rtm_family = (uint8_t)c.family;
  c.req.u.rt.rtm_dst_len = (uint8_t)c.prefix;
  c.req.u.rt.rtm_table = RT_TABLE_MAIN;
  if (c.op == NL_DEL) {
    // Match any scope, protocol and type (what `ip route del` sends): only prefix and device count.
    c.req.u.rt.rtm_scope = RT_SCOPE_NOWHERE;
  } else {
    c.req.u.rt.rtm_protocol = RTPROT_STATIC;
    // IPv4: a route without a gateway reaches hosts on the link. IPv6 routes have no scope.
    c.req.u.rt.rtm_scope = c.family == AF_INET ? RT_SCOPE_LINK : RT_SCOPE_UNIVERSE;
    c.req.u.rt.rtm_type = RTN_UNICAST;
  }
  nl_attr(&c.req, RTA_DST, c.addr, c.family == AF_INET6 ? 16 : 4);
  uint32_t oif = (uint32_t)c.index;
  nl_attr(&c.req, RTA_OIF, &oif, sizeof oif);
  return nl_call_end(env, &c);
}

// linkSetAddrGenMode(name: string, mode: 'eui64' | 'none' | 'stable-privacy' | 'random'): void.
// `ip link set NAME addrgenmode MODE` (RTM_SETLINK, IFLA_INET6_ADDR_GEN_MODE): 'none' before the
// link goes up keeps it from making an IPv6 link-local address (and sending router solicitations
// and MLD reports through a tunnel). The sysctl file does the same, but its handler spins on
// rtnl_trylock while another process holds the lock; this request sleeps on it instead.
static napi_value js_link_set_addr_gen_mode(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  NAPI_CALL(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  char name[IFNAMSIZ], modes[32], detail[256] = "";
  if (argc < 2 || !arg_string(env, argv[0], name, sizeof name, "interface name") || !arg_string(env, argv[1], modes, sizeof modes, "mode")) return NULL;
  uint8_t mode;
  if (!strcmp(modes, "eui64")) mode = IN6_ADDR_GEN_MODE_EUI64;
  else if (!strcmp(modes, "none")) mode = IN6_ADDR_GEN_MODE_NONE;
  else if (!strcmp(modes, "stable-privacy")) mode = IN6_ADDR_GEN_MODE_STABLE_PRIVACY;
  else if (!strcmp(modes, "random")) mode = IN6_ADDR_GEN_MODE_RANDOM;
  else {
    napi_throw_type_error(env, NULL, "mode must be 'eui64', 'none', 'stable-privacy' or 'random'");
    return NULL;
  }
  char what[48];
  snprintf(what, sizeof what, "addrgenmode %s", modes);
  int fd = nl_socket();
  if (fd < 0) { throw_netlink(env, -fd, "RTM_SETLINK", what, name, detail); return NULL; }
  int index = nl_ifindex(fd, name);
  if (index < 0) { throw_netlink(env, -index, "RTM_SETLINK", what, name, detail); return NULL; }
  nl_request_t req;
  memset(&req, 0, sizeof req);
  req.h.nlmsg_len = NLMSG_LENGTH(sizeof(struct ifinfomsg));
  req.h.nlmsg_type = RTM_SETLINK;
  req.u.ifi.ifi_family = AF_UNSPEC;
  req.u.ifi.ifi_index = index;
  // IFLA_AF_SPEC { AF_INET6 { IFLA_INET6_ADDR_GEN_MODE: u8 } }
  struct rtattr *spec = (struct rtattr *)((char *)&req + NLMSG_ALIGN(req.h.nlmsg_len));
  nl_attr(&req, IFLA_AF_SPEC, NULL, 0);
  struct rtattr *inet6 = (struct rtattr *)((char *)&req + NLMSG_ALIGN(req.h.nlmsg_len));
  nl_attr(&req, AF_INET6, NULL, 0);
  nl_attr(&req, IFLA_INET6_ADDR_GEN_MODE, &mode, sizeof mode);
  char *end = (char *)&req + req.h.nlmsg_len;
  inet6->rta_len = (unsigned short)(end - (char *)inet6);
  spec->rta_len = (unsigned short)(end - (char *)spec);
  int r = nl_transact(fd, &req, detail, sizeof detail);
  if (r < 0) { throw_netlink(env, -r, "RTM_SETLINK", what, name, detail); return NULL; }
  return NULL;
}

// netlinkSocketStats(): { opened: number } (sockets opened so far, for tests and measurements)
static napi_value js_netlink_socket_stats(napi_env env, napi_callback_info info) {
  napi_value obj, v;
  NAPI_CALL(env, napi_create_object(env, &obj));
  NAPI_CALL(env, napi_create_uint32(env, nl.opened, &v));
  NAPI_CALL(env, napi_set_named_property(env, obj, "opened", v));
  return obj;
}

// Interface flags and MTU by ioctl (on the netlink socket: the kernel serves SIOC[GS]IF* on a
// socket of any family), instead of forking `ip`: a hub creates one interface per session, and the
// fork was most of its IKE SA setup time.
static bool link_ioctl(napi_env env, const char *fn, const char *name, int mtu, int up) {
  char what[64];
  snprintf(what, sizeof what, "%s(%s)", fn, name);
  int s = nl_socket();
  if (s < 0) { throw_errno(env, -s, "socket", what); return false; }
  struct ifreq ifr;
  memset(&ifr, 0, sizeof ifr);
  memcpy(ifr.ifr_name, name, IFNAMSIZ); /* name: a NUL-terminated IFNAMSIZ buffer */
  if (mtu > 0) {
    ifr.ifr_mtu = mtu;
    if (ioctl(s, SIOCSIFMTU, &ifr) < 0) { throw_errno(env, errno, "ioctl SIOCSIFMTU", what); return false; }
  }
  if (up < 0) return true;
  if (ioctl(s, SIOCGIFFLAGS, &ifr) < 0) { throw_errno(env, errno, "ioctl SIOCGIFFLAGS", what); return false; }
  short flags = up ? (short)(ifr.ifr_flags | IFF_UP) : (short)(ifr.ifr_flags & ~IFF_UP);
  if (flags == ifr.ifr_flags) return true;
  ifr.ifr_flags = flags;
  if (ioctl(s, SIOCSIFFLAGS, &ifr) < 0) { throw_errno(env, errno, "ioctl SIOCSIFFLAGS", what); return false; }
  return true;
}

// linkSetUp(name: string, mtu?: number): void (mtu omitted or 0: left as it is)
static napi_value js_link_set_up(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  NAPI_CALL(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  char name[IFNAMSIZ];
  int32_t mtu = 0;
  if (argc < 1 || !arg_string(env, argv[0], name, sizeof name, "interface name")) return NULL;
  if (argc >= 2 && !is_undefined(env, argv[1]) && !arg_int32(env, argv[1], &mtu, "mtu")) return NULL;
  link_ioctl(env, "linkSetUp", name, mtu, 1);
  return NULL;
}

// linkSetDown(name: string): void
static napi_value js_link_set_down(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  NAPI_CALL(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  char name[IFNAMSIZ];
  if (argc < 1 || !arg_string(env, argv[0], name, sizeof name, "interface name")) return NULL;
  link_ioctl(env, "linkSetDown", name, 0, 0);
  return NULL;
}

// linkSetMtu(name: string, mtu: number): void
static napi_value js_link_set_mtu(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  NAPI_CALL(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  char name[IFNAMSIZ];
  int32_t mtu;
  if (argc < 2 || !arg_string(env, argv[0], name, sizeof name, "interface name") || !arg_int32(env, argv[1], &mtu, "mtu")) return NULL;
  if (mtu <= 0) { napi_throw_range_error(env, NULL, "mtu must be positive"); return NULL; }
  link_ioctl(env, "linkSetMtu", name, mtu, -1);
  return NULL;
}

// ---------------------------------------------------------------------------------------------
// TUN

static int tun_open_impl(const char *name, bool multi_queue, char *out_name, const char **syscall) {
  int fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) { *syscall = "open /dev/net/tun"; return -errno; }
  struct ifreq ifr;
  memset(&ifr, 0, sizeof ifr);
  ifr.ifr_flags = IFF_TUN | IFF_NO_PI | (multi_queue ? IFF_MULTI_QUEUE : 0);
  strncpy(ifr.ifr_name, name, IFNAMSIZ - 1);
  if (ioctl(fd, TUNSETIFF, &ifr) < 0) {
    int e = errno;
    close(fd);
    *syscall = "ioctl TUNSETIFF";
    return -e;
  }
  memcpy(out_name, ifr.ifr_name, IFNAMSIZ);
  out_name[IFNAMSIZ - 1] = 0;
  return fd;
}

static napi_value tun_result(napi_env env, int fd, const char *name) {
  napi_value obj, v;
  NAPI_CALL(env, napi_create_object(env, &obj));
  NAPI_CALL(env, napi_create_int32(env, fd, &v));
  NAPI_CALL(env, napi_set_named_property(env, obj, "fd", v));
  NAPI_CALL(env, napi_create_string_utf8(env, name, NAPI_AUTO_LENGTH, &v));
  NAPI_CALL(env, napi_set_named_property(env, obj, "name", v));
  return obj;
}

// tunOpen(name: string, opts?: { multiQueue?: boolean }): { fd, name }
static napi_value js_tun_open(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  NAPI_CALL(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  char name[IFNAMSIZ], out[IFNAMSIZ];
  if (argc < 1 || !arg_string(env, argv[0], name, sizeof name, "TUN device name")) return NULL;
  bool mq = argc >= 2 && opt_bool(env, argv[1], "multiQueue");
  const char *sc = "";
  int fd = tun_open_impl(name, mq, out, &sc);
  if (fd < 0) {
    char what[64];
    snprintf(what, sizeof what, "tunOpen(%s)", name);
    throw_errno(env, -fd, sc, what);
    return NULL;
  }
  return tun_result(env, fd, out);
}

// netnsOpenTun(nsPath: string, name: string, opts?): { fd, name }
static napi_value js_netns_open_tun(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  NAPI_CALL(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  char path[4096], name[IFNAMSIZ], out[IFNAMSIZ];
  if (argc < 2 || !arg_string(env, argv[0], path, sizeof path, "namespace path") ||
      !arg_string(env, argv[1], name, sizeof name, "TUN device name"))
    return NULL;
  bool mq = argc >= 3 && opt_bool(env, argv[2], "multiQueue");
  int saved = -1;
  const char *sc = "";
  int r = netns_enter(path, &saved, &sc);
  if (r < 0) { throw_errno(env, -r, sc, path); return NULL; }
  int fd = tun_open_impl(name, mq, out, &sc);
  int back = netns_leave(saved);
  if (back < 0) {
    // Staying in the wrong namespace would misplace every later socket: treat it as fatal.
    if (fd >= 0) close(fd);
    napi_fatal_error("netnsOpenTun", NAPI_AUTO_LENGTH, "could not return to the original network namespace", NAPI_AUTO_LENGTH);
  }
  if (fd < 0) {
    char what[4200];
    snprintf(what, sizeof what, "netnsOpenTun(%s, %s)", path, name);
    throw_errno(env, -fd, sc, what);
    return NULL;
  }
  return tun_result(env, fd, out);
}

// closeFd(fd: number): number (0 or -errno)
static napi_value js_close(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1], result;
  NAPI_CALL(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  int32_t fd;
  if (argc < 1 || !arg_int32(env, argv[0], &fd, "fd")) return NULL;
  int r = close(fd) < 0 ? -errno : 0;
  NAPI_CALL(env, napi_create_int32(env, r, &result));
  return result;
}

// tunWrite(fd: number, packet: Buffer): number (bytes written or -errno)
static napi_value js_write(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2], result;
  NAPI_CALL(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  int32_t fd;
  void *data;
  size_t len;
  if (argc < 2 || !arg_int32(env, argv[0], &fd, "fd")) return NULL;
  NAPI_CALL(env, napi_get_buffer_info(env, argv[1], &data, &len));
  ssize_t n;
  do n = write(fd, data, len); while (n < 0 && errno == EINTR);
  NAPI_CALL(env, napi_create_int32(env, n < 0 ? -errno : (int32_t)n, &result));
  return result;
}

// tunWriteBatch(fd: number, packets: Buffer[], count?: number): number of packets written.
// A packet the kernel refuses (EAGAIN when its queue is full, EINVAL for a malformed one) is
// skipped, not retried: the caller counts count - result as drops, so nothing queues up here.
static napi_value js_write_batch(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3], result;
  NAPI_CALL(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  int32_t fd;
  if (argc < 2 || !arg_int32(env, argv[0], &fd, "fd")) return NULL;
  uint32_t n = 0;
  NAPI_CALL(env, napi_get_array_length(env, argv[1], &n));
  if (argc >= 3 && !is_undefined(env, argv[2])) {
    int32_t c;
    if (!arg_int32(env, argv[2], &c, "count")) return NULL;
    if (c >= 0 && (uint32_t)c < n) n = (uint32_t)c;
  }
  int32_t written = 0;
  for (uint32_t i = 0; i < n; i++) {
    napi_value el;
    void *data;
    size_t len;
    NAPI_CALL(env, napi_get_element(env, argv[1], i, &el));
    NAPI_CALL(env, napi_get_buffer_info(env, el, &data, &len));
    ssize_t w;
    do w = write(fd, data, len); while (w < 0 && errno == EINTR);
    if (w >= 0) written++;
  }
  NAPI_CALL(env, napi_create_int32(env, written, &result));
  return result;
}

// ---------------------------------------------------------------------------------------------
// UDP sockets (native, so they can be opened in another namespace and read with recvmmsg)

static int parse_addr(const char *text, int port, struct sockaddr_storage *ss, socklen_t *len) {
  memset(ss, 0, sizeof *ss);
  if (strchr(text, ':')) {
    struct sockaddr_in6 *a = (struct sockaddr_in6 *)ss;
    a->sin6_family = AF_INET6;
    a->sin6_port = htons((uint16_t)port);
    if (inet_pton(AF_INET6, text, &a->sin6_addr) != 1) return -EINVAL;
    *len = sizeof *a;
  } else {
    struct sockaddr_in *a = (struct sockaddr_in *)ss;
    a->sin_family = AF_INET;
    a->sin_port = htons((uint16_t)port);
    if (inet_pton(AF_INET, text, &a->sin_addr) != 1) return -EINVAL;
    *len = sizeof *a;
  }
  return 0;
}

static int udp_open_impl(const char *addr, int port, bool reuse, int rcvbuf, int sndbuf, const char **syscall) {
  struct sockaddr_storage ss;
  socklen_t sl;
  if (parse_addr(addr, port, &ss, &sl) < 0) { *syscall = "inet_pton"; return -EINVAL; }
  int fd = socket(ss.ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) { *syscall = "socket"; return -errno; }
  int one = 1;
  if (reuse) setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (ss.ss_family == AF_INET6) setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
  /* The FORCE variants pass net.core.rmem_max/wmem_max (we run as root); plain ones otherwise. */
  if (rcvbuf > 0 && setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof rcvbuf) < 0)
    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);
  if (sndbuf > 0 && setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &sndbuf, sizeof sndbuf) < 0)
    setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof sndbuf);
  if (bind(fd, (struct sockaddr *)&ss, sl) < 0) { int e = errno; close(fd); *syscall = "bind"; return -e; }
  return fd;
}

static int32_t opt_int(napi_env env, napi_value obj, const char *key, int32_t dflt) {
  napi_valuetype t;
  if (napi_typeof(env, obj, &t) != napi_ok || t != napi_object) return dflt;
  bool has = false;
  napi_has_named_property(env, obj, key, &has);
  if (!has) return dflt;
  napi_value v;
  int32_t out = dflt;
  napi_get_named_property(env, obj, key, &v);
  if (napi_typeof(env, v, &t) == napi_ok && t == napi_number) napi_get_value_int32(env, v, &out);
  return out;
}

// udpOpen(address: string, port: number, opts?: { reuseAddr?, rcvbuf?, sndbuf?, netns?: string }): fd
static napi_value js_udp_open(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3], result;
  NAPI_CALL(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  char addr[64], ns[4096] = "";
  int32_t port;
  if (argc < 2 || !arg_string(env, argv[0], addr, sizeof addr, "address") || !arg_int32(env, argv[1], &port, "port")) return NULL;
  bool reuse = false;
  int32_t rcvbuf = 0, sndbuf = 0;
  if (argc >= 3) {
    reuse = opt_bool(env, argv[2], "reuseAddr");
    rcvbuf = opt_int(env, argv[2], "rcvbuf", 0);
    sndbuf = opt_int(env, argv[2], "sndbuf", 0);
    bool has = false;
    napi_valuetype t;
    if (napi_typeof(env, argv[2], &t) == napi_ok && t == napi_object) napi_has_named_property(env, argv[2], "netns", &has);
    if (has) {
      napi_value v;
      napi_get_named_property(env, argv[2], "netns", &v);
      if (!is_undefined(env, v) && !arg_string(env, v, ns, sizeof ns, "netns")) return NULL;
    }
  }
  int saved = -1;
  const char *sc = "";
  if (ns[0]) {
    int r = netns_enter(ns, &saved, &sc);
    if (r < 0) { throw_errno(env, -r, sc, ns); return NULL; }
  }
  int fd = udp_open_impl(addr, port, reuse, rcvbuf, sndbuf, &sc);
  if (ns[0] && netns_leave(saved) < 0) {
    if (fd >= 0) close(fd);
    napi_fatal_error("udpOpen", NAPI_AUTO_LENGTH, "could not return to the original network namespace", NAPI_AUTO_LENGTH);
  }
  if (fd < 0) {
    char what[128];
    snprintf(what, sizeof what, "udpOpen(%s, %d)", addr, port);
    throw_errno(env, -fd, sc, what);
    return NULL;
  }
  NAPI_CALL(env, napi_create_int32(env, fd, &result));
  return result;
}

// udpLocalPort(fd): number
static napi_value js_udp_local_port(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1], result;
  NAPI_CALL(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  int32_t fd;
  if (argc < 1 || !arg_int32(env, argv[0], &fd, "fd")) return NULL;
  struct sockaddr_storage ss;
  socklen_t sl = sizeof ss;
  if (getsockname(fd, (struct sockaddr *)&ss, &sl) < 0) { throw_errno(env, errno, "getsockname", "udpLocalPort"); return NULL; }
  int port = ss.ss_family == AF_INET6 ? ntohs(((struct sockaddr_in6 *)&ss)->sin6_port) : ntohs(((struct sockaddr_in *)&ss)->sin_port);
  NAPI_CALL(env, napi_create_int32(env, port, &result));
  return result;
}

// udpSend(fd, packet: Buffer, address: string, port: number): bytes sent or -errno
static napi_value js_udp_send(napi_env env, napi_callback_info info) {
  size_t argc = 4;
  napi_value argv[4], result;
  NAPI_CALL(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  int32_t fd, port;
  char addr[64];
  void *data;
  size_t len;
  if (argc < 4 || !arg_int32(env, argv[0], &fd, "fd") || !arg_string(env, argv[2], addr, sizeof addr, "address") ||
      !arg_int32(env, argv[3], &port, "port"))
    return NULL;
  NAPI_CALL(env, napi_get_buffer_info(env, argv[1], &data, &len));
  struct sockaddr_storage ss;
  socklen_t sl;
  int r = parse_addr(addr, port, &ss, &sl);
  if (r == 0) {
    ssize_t n;
    do n = sendto(fd, data, len, MSG_DONTWAIT, (struct sockaddr *)&ss, sl); while (n < 0 && errno == EINTR);
    r = n < 0 ? -errno : (int)n;
  }
  NAPI_CALL(env, napi_create_int32(env, r, &result));
  return result;
}

// udpSendBatch(fd, packets: Buffer[], address, port, count?): datagrams sent (sendmmsg), or -errno
// when not even the first could be sent. EAGAIN stops the batch: the rest is dropped, not queued.
static napi_value js_udp_send_batch(napi_env env, napi_callback_info info) {
  size_t argc = 5;
  napi_value argv[5], result;
  NAPI_CALL(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  int32_t fd, port;
  char addr[64];
  if (argc < 4 || !arg_int32(env, argv[0], &fd, "fd") || !arg_string(env, argv[2], addr, sizeof addr, "address") ||
      !arg_int32(env, argv[3], &port, "port"))
    return NULL;
  uint32_t n = 0;
  NAPI_CALL(env, napi_get_array_length(env, argv[1], &n));
  if (argc >= 5 && !is_undefined(env, argv[4])) {
    int32_t c;
    if (!arg_int32(env, argv[4], &c, "count")) return NULL;
    if (c >= 0 && (uint32_t)c < n) n = (uint32_t)c;
  }
  struct sockaddr_storage ss;
  socklen_t sl;
  if (parse_addr(addr, port, &ss, &sl) < 0) {
    NAPI_CALL(env, napi_create_int32(env, -EINVAL, &result));
    return result;
  }
  struct mmsghdr msgs[64];
  struct iovec iov[64];
  int32_t sent = 0;
  int err = 0;
  uint32_t i = 0;
  while (i < n && !err) {
    uint32_t k = 0;
    for (; k < 64 && i + k < n; k++) {
      napi_value el;
      void *data;
      size_t len;
      NAPI_CALL(env, napi_get_element(env, argv[1], i + k, &el));
      NAPI_CALL(env, napi_get_buffer_info(env, el, &data, &len));
      iov[k].iov_base = data;
      iov[k].iov_len = len;
      memset(&msgs[k], 0, sizeof msgs[k]);
      msgs[k].msg_hdr.msg_name = &ss;
      msgs[k].msg_hdr.msg_namelen = sl;
      msgs[k].msg_hdr.msg_iov = &iov[k];
      msgs[k].msg_hdr.msg_iovlen = 1;
    }
    uint32_t done = 0;
    while (done < k) {
      int r = sendmmsg(fd, msgs + done, k - done, MSG_DONTWAIT);
      if (r < 0) {
        if (errno == EINTR) continue;
        err = errno;
        break;
      }
      done += (uint32_t)r;
      sent += r;
    }
    i += k;
  }
  NAPI_CALL(env, napi_create_int32(env, sent == 0 && err ? -err : sent, &result));
  return result;
}

// ---------------------------------------------------------------------------------------------
// Batched readers

enum reader_kind { READER_TUN = 0, READER_UDP = 1 };

typedef struct reader {
  uv_poll_t poll;
  napi_env env;
  napi_ref callback;
  napi_ref meta_ref;
  int32_t *meta;
  size_t meta_ints;
  napi_ref slab_ref;
  uint8_t *slab;
  size_t slab_size;
  size_t slab_off;
  size_t slab_bytes; /* size of the largest slab */
  size_t slab_next;  /* size of the next slab (TUN: grows from two packets' worth up to slab_bytes) */
  napi_async_context async;
  int fd;
  int kind;
  bool copy_mode; /* deliver Buffer[] made with napi_create_buffer_copy (for measurements) */
  uint32_t max_packets;
  uint32_t max_packet_size;
  bool stopped;  /* poll stopped, close requested */
  bool closed;   /* close callback ran */
  bool released; /* JS called readerStop */
  bool in_callback; /* inside napi_make_callback: async context destroyed after it returns */
  bool async_destroy_pending;
  uint8_t *scratch; /* copy mode */
  struct mmsghdr *msgs;
  struct iovec *iovs;
  struct sockaddr_storage *addrs;
} reader_t;

static void reader_free(reader_t *r) {
  free(r->scratch);
  free(r->msgs);
  free(r->iovs);
  free(r->addrs);
  free(r);
}

/* The struct lives until both the poll handle is closed and JS has released it (readerStop). */
static void reader_closed(uv_handle_t *h) {
  reader_t *r = (reader_t *)h->data;
  r->closed = true;
  if (r->released) reader_free(r);
}

static void reader_release(reader_t *r) {
  if (r->stopped) return;
  r->stopped = true;
  uv_poll_stop(&r->poll);
  uv_close((uv_handle_t *)&r->poll, reader_closed);
}

static void reader_cleanup_hook(void *arg) {
  reader_release((reader_t *)arg);
}

static bool new_slab(napi_env env, reader_t *r) {
  napi_value buf;
  void *data;
  if (napi_create_buffer(env, r->slab_next, &data, &buf) != napi_ok) return false;
  if (r->slab_ref) napi_delete_reference(env, r->slab_ref);
  napi_create_reference(env, buf, 1, &r->slab_ref);
  r->slab = data;
  r->slab_size = r->slab_next;
  r->slab_off = 0;
  r->slab_next = r->slab_next * 2 < r->slab_bytes ? r->slab_next * 2 : r->slab_bytes;
  return true;
}

/** TUN: read(2) until EAGAIN or maxPackets, packed into the slab. */
static int read_tun_slab(napi_env env, reader_t *r, int *err) {
  int count = 0;
  while ((uint32_t)count < r->max_packets) {
    if (r->slab_size - r->slab_off < r->max_packet_size) {
      if (count > 0) break; /* deliver this slab first; the next turn starts a new one */
      if (!new_slab(env, r)) { *err = -ENOMEM; break; }
    }
    ssize_t n = read(r->fd, r->slab + r->slab_off, r->max_packet_size);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno != EAGAIN) *err = -errno;
      break;
    }
    r->meta[TUN_META_INTS * count] = (int32_t)r->slab_off;
    r->meta[TUN_META_INTS * count + 1] = (int32_t)n;
    r->slab_off += ((size_t)n + 7) & ~(size_t)7;
    count++;
  }
  return count;
}

static void fill_udp_meta(reader_t *r, int i, size_t off, ssize_t len, bool truncated, struct sockaddr_storage *ss) {
  int32_t *m = r->meta + UDP_META_INTS * i;
  m[0] = (int32_t)off;
  m[1] = truncated ? -1 : (int32_t)len;
  uint8_t *a = (uint8_t *)&m[4];
  if (ss->ss_family == AF_INET6) {
    struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;
    m[2] = ntohs(s6->sin6_port);
    m[3] = 6;
    memcpy(a, &s6->sin6_addr, 16);
  } else {
    struct sockaddr_in *s4 = (struct sockaddr_in *)ss;
    m[2] = ntohs(s4->sin_port);
    m[3] = 4;
    memset(a, 0, 16);
    memcpy(a, &s4->sin_addr, 4);
  }
}

/** UDP: one recvmmsg(2) for up to maxPackets datagrams, each in a maxPacketSize stride of the slab. */
static int read_udp_slab(napi_env env, reader_t *r, int *err) {
  size_t stride = r->max_packet_size;
  size_t need = stride * r->max_packets;
  if (r->slab_size - r->slab_off < need && !new_slab(env, r)) { *err = -ENOMEM; return 0; }
  for (uint32_t i = 0; i < r->max_packets; i++) {
    r->iovs[i].iov_base = r->slab + r->slab_off + i * stride;
    r->iovs[i].iov_len = stride;
    memset(&r->msgs[i].msg_hdr, 0, sizeof r->msgs[i].msg_hdr);
    r->msgs[i].msg_hdr.msg_name = &r->addrs[i];
    r->msgs[i].msg_hdr.msg_namelen = sizeof r->addrs[i];
    r->msgs[i].msg_hdr.msg_iov = &r->iovs[i];
    r->msgs[i].msg_hdr.msg_iovlen = 1;
  }
  int n;
  do n = recvmmsg(r->fd, r->msgs, r->max_packets, MSG_DONTWAIT, NULL); while (n < 0 && errno == EINTR);
  if (n < 0) {
    if (errno != EAGAIN) *err = -errno;
    return 0;
  }
  for (int i = 0; i < n; i++) {
    fill_udp_meta(r, i, r->slab_off + i * stride, r->msgs[i].msg_len, (r->msgs[i].msg_hdr.msg_flags & MSG_TRUNC) != 0, &r->addrs[i]);
  }
  if (n > 0) r->slab_off += ((size_t)(n - 1) * stride + r->msgs[n - 1].msg_len + 7) & ~(size_t)7;
  return n;
}

/** Copy mode (measurement baseline): one Buffer per packet. */
static int read_copy(napi_env env, reader_t *r, napi_value arr, int *err) {
  int count = 0;
  while ((uint32_t)count < r->max_packets) {
    ssize_t n;
    struct sockaddr_storage ss;
    socklen_t sl = sizeof ss;
    if (r->kind == READER_TUN) n = read(r->fd, r->scratch, r->max_packet_size);
    else n = recvfrom(r->fd, r->scratch, r->max_packet_size, MSG_DONTWAIT, (struct sockaddr *)&ss, &sl);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno != EAGAIN) *err = -errno;
      break;
    }
    napi_value b;
    void *d;
    if (napi_create_buffer_copy(env, (size_t)n, r->scratch, &d, &b) != napi_ok) { *err = -ENOMEM; break; }
    napi_set_element(env, arr, (uint32_t)count, b);
    if (r->kind == READER_UDP) fill_udp_meta(r, count, 0, n, false, &ss);
    count++;
  }
  return count;
}

static void on_poll(uv_poll_t *h, int status, int events) {
  reader_t *r = (reader_t *)h->data;
  if (r->stopped) return;
  napi_env env = r->env;
  napi_handle_scope scope;
  if (napi_open_handle_scope(env, &scope) != napi_ok) return;
  int err = status < 0 ? status : 0;
  int count = 0;
  napi_value payload = NULL;
  if (!err) {
    if (r->copy_mode) {
      napi_create_array(env, &payload);
      count = read_copy(env, r, payload, &err);
    } else if (r->kind == READER_TUN) {
      count = read_tun_slab(env, r, &err);
    } else {
      count = read_udp_slab(env, r, &err);
    }
    if (!r->copy_mode && count > 0) napi_get_reference_value(env, r->slab_ref, &payload);
  }
  if (count > 0 || err) {
    napi_value cb, global, argv[2], result;
    napi_get_reference_value(env, r->callback, &cb);
    napi_get_global(env, &global);
    napi_create_int32(env, count > 0 ? count : err, &argv[0]);
    if (payload) argv[1] = payload;
    else napi_get_undefined(env, &argv[1]);
    if (err && count == 0) reader_release(r); /* a failing fd would spin the loop: stop, report */
    r->in_callback = true;
    napi_status s = napi_make_callback(env, r->async, global, cb, 2, argv, &result);
    r->in_callback = false;
    if (r->async_destroy_pending) {
      r->async_destroy_pending = false;
      napi_async_destroy(env, r->async);
    }
    if (s == napi_pending_exception) {
      napi_value exc;
      napi_get_and_clear_last_exception(env, &exc);
      napi_fatal_exception(env, exc);
    }
  }
  napi_close_handle_scope(env, scope);
}

// readerStart(fd, kind: 0 TUN | 1 UDP, callback(countOrNegErrno, slab|Buffer[]), meta: Int32Array,
//             maxPackets, maxPacketSize, slabBytes, copyMode): external handle
static napi_value js_reader_start(napi_env env, napi_callback_info info) {
  size_t argc = 8;
  napi_value argv[8], handle;
  NAPI_CALL(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 8) { napi_throw_type_error(env, NULL, "readerStart needs 8 arguments"); return NULL; }
  int32_t fd, kind, max_packets, max_size, slab_bytes;
  bool copy_mode = false;
  if (!arg_int32(env, argv[0], &fd, "fd") || !arg_int32(env, argv[1], &kind, "kind") ||
      !arg_int32(env, argv[4], &max_packets, "maxPackets") || !arg_int32(env, argv[5], &max_size, "maxPacketSize") ||
      !arg_int32(env, argv[6], &slab_bytes, "slabBytes"))
    return NULL;
  NAPI_CALL(env, napi_get_value_bool(env, argv[7], &copy_mode));
  if (max_packets < 1 || max_packets > MAX_BATCH) { napi_throw_range_error(env, NULL, "maxPackets must be 1..1024"); return NULL; }
  if (max_size < 64 || max_size > 65536) { napi_throw_range_error(env, NULL, "maxPacketSize must be 64..65536"); return NULL; }
  napi_typedarray_type tat;
  size_t tlen, toff;
  void *tdata;
  napi_value tab;
  NAPI_CALL(env, napi_get_typedarray_info(env, argv[3], &tat, &tlen, &tdata, &tab, &toff));
  size_t per = kind == READER_UDP ? UDP_META_INTS : TUN_META_INTS;
  if (tat != napi_int32_array || tlen < per * (size_t)max_packets) {
    napi_throw_range_error(env, NULL, "meta must be an Int32Array of at least maxPackets * (2 for TUN, 8 for UDP)");
    return NULL;
  }
  reader_t *r = calloc(1, sizeof *r);
  if (!r) { napi_throw_error(env, "ENOMEM", "out of memory"); return NULL; }
  r->env = env;
  r->fd = fd;
  r->kind = kind;
  r->copy_mode = copy_mode;
  r->max_packets = (uint32_t)max_packets;
  r->max_packet_size = (uint32_t)max_size;
  size_t min_slab = kind == READER_UDP ? (size_t)max_packets * max_size : (size_t)max_size * 4;
  r->slab_bytes = (size_t)slab_bytes > min_slab ? (size_t)slab_bytes : min_slab;
  // A TUN reader starts with a slab for two packets and doubles it with each new one: a quiet
  // interface (a hub has one per session, and the kernel's own MLD reports make each readable
  // once) then holds 128 KiB instead of slabBytes, which V8 counts as external memory and which
  // pressed it into extra full GCs; a busy one reaches slabBytes after a few slabs.
  r->slab_next = kind == READER_UDP ? r->slab_bytes : (size_t)max_size * 2;
  if (r->slab_next > r->slab_bytes) r->slab_next = r->slab_bytes;
  r->meta = tdata;
  r->meta_ints = tlen;
  if (copy_mode) r->scratch = malloc(max_size);
  if (kind == READER_UDP) {
    r->msgs = calloc(max_packets, sizeof *r->msgs);
    r->iovs = calloc(max_packets, sizeof *r->iovs);
    r->addrs = calloc(max_packets, sizeof *r->addrs);
  }
  uv_loop_t *loop;
  int e = napi_get_uv_event_loop(env, &loop) == napi_ok ? uv_poll_init(loop, &r->poll, fd) : UV_EINVAL;
  if (e < 0) {
    reader_free(r);
    char msg[128];
    snprintf(msg, sizeof msg, "uv_poll_init(fd %d): %s", fd, uv_strerror(e));
    napi_throw_error(env, uv_err_name(e), msg);
    return NULL;
  }
  /* From here on the handle exists and must be closed, not freed. */
  napi_value name;
  napi_create_reference(env, argv[2], 1, &r->callback);
  napi_create_reference(env, argv[3], 1, &r->meta_ref);
  napi_create_string_utf8(env, kind == READER_UDP ? "flexlab:udp-reader" : "flexlab:tun-reader", NAPI_AUTO_LENGTH, &name);
  napi_async_init(env, NULL, name, &r->async);
  r->poll.data = r;
  uv_poll_start(&r->poll, UV_READABLE, on_poll);
  napi_add_env_cleanup_hook(env, reader_cleanup_hook, r);
  NAPI_CALL(env, napi_create_external(env, r, NULL, NULL, &handle));
  return handle;
}

// readerStop(handle): void. Safe to call from inside the reader's own callback.
static napi_value js_reader_stop(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  NAPI_CALL(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  reader_t *r;
  NAPI_CALL(env, napi_get_value_external(env, argv[0], (void **)&r));
  if (r->released) return NULL; /* already stopped by JS */
  r->released = true;
  napi_remove_env_cleanup_hook(env, reader_cleanup_hook, r);
  napi_delete_reference(env, r->callback);
  napi_delete_reference(env, r->meta_ref);
  if (r->slab_ref) napi_delete_reference(env, r->slab_ref);
  if (r->in_callback) r->async_destroy_pending = true; /* still in use by the running callback */
  else napi_async_destroy(env, r->async);
  r->callback = NULL;
  r->slab_ref = NULL;
  if (r->closed) reader_free(r);
  else reader_release(r); /* frees r in the close callback, after this turn */
  return NULL;
}

// ---------------------------------------------------------------------------------------------

#define EXPORT(name, fn)                                                       \
  do {                                                                         \
    napi_value f_;                                                             \
    NAPI_CALL(env, napi_create_function(env, name, NAPI_AUTO_LENGTH, fn, NULL, &f_)); \
    NAPI_CALL(env, napi_set_named_property(env, exports, name, f_));          \
  } while (0)

static napi_value init(napi_env env, napi_value exports) {
  NAPI_CALL(env, napi_add_env_cleanup_hook(env, nl_cleanup, NULL));
  EXPORT("tunOpen", js_tun_open);
  EXPORT("linkSetUp", js_link_set_up);
  EXPORT("linkSetDown", js_link_set_down);
  EXPORT("linkSetMtu", js_link_set_mtu);
  EXPORT("netlinkAddress", js_netlink_address);
  EXPORT("netlinkRoute", js_netlink_route);
  EXPORT("linkSetAddrGenMode", js_link_set_addr_gen_mode);
  EXPORT("netlinkSocketStats", js_netlink_socket_stats);
  EXPORT("netnsOpenTun", js_netns_open_tun);
  EXPORT("closeFd", js_close);
  EXPORT("tunWrite", js_write);
  EXPORT("tunWriteBatch", js_write_batch);
  EXPORT("readerStart", js_reader_start);
  EXPORT("readerStop", js_reader_stop);
  EXPORT("setns", js_setns);
  EXPORT("netnsEnter", js_netns_enter);
  EXPORT("netnsRestore", js_netns_restore);
  EXPORT("udpOpen", js_udp_open);
  EXPORT("udpLocalPort", js_udp_local_port);
  EXPORT("udpSend", js_udp_send);
  EXPORT("udpSendBatch", js_udp_send_batch);
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
