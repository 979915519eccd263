#ifndef LG_LAN_H
#define LG_LAN_H
/* `lguest lan NAME`: the switch of a LAN (lan.c). */
int lan_main(int argc, char **argv);
#endif
