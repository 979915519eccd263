#ifndef LG_NET_H
#define LG_NET_H
/* Where a guest's frames go: the back-ends virtio/net.c uses. */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
struct loop;

/* TAP (tap.c): open or create the device (NULL: the kernel names it), with
 * a virtio-net header on every frame; -1 with fail(). */
int tap_open(const char *ifname);
/* Tell the host which offloads the guest accepts. */
void tap_offload(int fd, uint64_t guest_features);

/* A --net, parsed (spec.c). */
enum net_kind { NET_TAP, NET_USER, NET_LAN, NET_VHOST };
struct net_spec {
	enum net_kind kind;
	char arg[256];              /* TAP name, LAN name, socket path, user options */
	uint8_t mac[6];
	bool mac_given;
};
/* -1 with fail() when spec is not one of the forms in spec.c. */
int net_parse(const char *spec, struct net_spec *sp);
/* user's options: restrict, and each hostfwd (QEMU's form). */
#define NET_MAX_FWD 8
struct net_fwd { int udp; uint32_t host; int hport, gport; };
int net_user_opts(const char *opts, int *restricted, struct net_fwd *fwd, int *nfwd);

/* User-mode networking through libslirp (user.c), QEMU's addresses:
 * 10.0.2.0/24, gateway .2, DNS .3, the guest .15 by DHCP. */
struct user_net;
struct user_net *user_new(struct loop *loop, const char *opts,
			  void (*to_guest)(void *opaque, const uint8_t *frame, size_t len), void *opaque);
/* A frame from the guest, without its virtio-net header. */
void user_input(struct user_net *u, const uint8_t *frame, size_t len);

/* The LAN switch's socket (lan.c): $XDG_RUNTIME_DIR/lguest/lan/NAME.sock, or
 * /run/lguest/lan/ for root; the directory is made (0700) when make_dir. */
int lan_path(const char *name, char *path, size_t size, int make_dir);
/* A LAN's name: 1 to 64 bytes, no '/'; -1 with fail(). */
int lan_check_name(const char *name);
/* Start `lguest lan NAME` in the background (it ends with its last port)
 * and wait until it listens; -1 with fail(). */
int lan_spawn(const char *name);
#endif
