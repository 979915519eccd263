#ifndef LG_LAN_H
#define LG_LAN_H
/* `lguest lan NAME`: the switch of a LAN (lan.c). */
int lan_main(int argc, char **argv);
/* The same switch driven by tests/fuzz/vhost_user.c, without lan_main. */
void lan_fuzz_start(const int *socks, int n);
int lan_fuzz_step(void);
void lan_fuzz_end(void);
#endif
