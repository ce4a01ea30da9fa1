/*
 * console — a guest's serial console, streamed through libvirt into a capped file.
 *
 * The guest is untrusted: it may write without end to its console.  QEMU writing the
 * console straight into a file would let it fill the output disk.  Instead the domain's
 * serial port is a unix socket QEMU listens on (in the VM's private work folder); the
 * harness connects before the guest's CPUs start, and a thread of its own drains it
 * continuously into console.log, up to CONSOLE_MAX_BYTES (the rest is counted and
 * dropped, and the file says so).  (libvirt's console streams were tried first: closing
 * one while libvirt tears down a domain that died deadlocks inside libvirt 9.0's embedded
 * driver.)  While copying, the console notes when
 * boot milestones first appear (kernel banner, init, SSH server), which is how a boot
 * that makes no progress is caught in seconds instead of at the SSH timeout, and keeps
 * the last CONSOLE_TAIL_BYTES for error messages.
 *
 * Memory: CONSOLE_TAIL_BYTES + CONSOLE_LINE_BYTES per console, whatever the guest writes.
 */
#ifndef VMSWEEP_CONSOLE_H
#define VMSWEEP_CONSOLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Bytes of console output kept in console.log per VM; more is counted and dropped. */
#define CONSOLE_MAX_BYTES (16u << 20)
/* Bytes of the most recent output kept in memory for messages. */
#define CONSOLE_TAIL_BYTES 4096u
/* Longest line examined for milestones (longer lines are cut for that purpose only). */
#define CONSOLE_LINE_BYTES 512u

/* Boot milestones, in the order a healthy boot shows them (SSH, which the harness sees
 * itself, comes between CONSOLE_NET and CONSOLE_UP, or after both). */
enum console_mark {
    CONSOLE_KERNEL, /* the kernel's banner: "Linux version ..." */
    CONSOLE_INIT,   /* the image's /init started ("vmsweep: init") */
    CONSOLE_NET,    /* its network is up; sshd starts next */
    CONSOLE_UP,     /* the image's /init finished bringing the guest up (results disk) */
    CONSOLE_NMARKS,
};

struct console;

/*
 * Connect to the console socket sock (QEMU listening, the guest paused) and copy what
 * comes into the file at path (created, or appended to; a symlink there is an error),
 * from a thread of its own.  Returns 0 and *out, or -1 (reported).
 */
int console_open(const char *sock, const char *path, struct console **out);

/*
 * The same from the stream socket fd, which is taken (closed by console_close, or on
 * failure): the console of a remote host's VM reaches us as a libvirt stream, which vm.c
 * copies into the other end of a socket pair.
 */
int console_open_fd(int fd, const char *path, struct console **out);

/*
 * Monotonic milliseconds (guest_now_ms clock) at which mark first appeared, or 0 when it
 * has not.
 */
uint64_t console_mark_ms(struct console *c, enum console_mark mark);

/* The milestone's key in the manifest's boot breakdown, e.g. "kernel_s" (static). */
const char *console_mark_key(enum console_mark mark);

/* Bytes received so far (kept and dropped). */
uint64_t console_bytes(struct console *c);

/*
 * The last lines (at most max_lines) of the console, terminal escape sequences and
 * carriage returns removed, each line prefixed with "  | ".  malloc'ed; "" when the
 * console printed nothing; NULL when out of memory.
 */
char *console_tail(struct console *c, unsigned max_lines);

/*
 * Stop copying (waiting up to wait_ms for the end of the output, e.g. the panic message
 * of a guest that just died), close the file and free.  Reports once when output was
 * dropped at the cap.  NULL is fine.
 */
void console_close(struct console *c, unsigned wait_ms);

/* Milestone search on one line (exposed for unit tests): the mark it shows, or -1. */
int console_line_mark(const char *line, size_t len);

/*
 * Remove terminal escape sequences (CSI, OSC, two-byte ESC x) and carriage returns from
 * s in place; returns the new length.  (Exposed for unit tests.)
 */
size_t console_strip_escapes(char *s, size_t len);

#endif
