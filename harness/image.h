/*
 * image — guest images: build, find, list, inspect.
 *
 * An image is a folder <cache>/images/<name>/ holding either a kernel + initramfs pair
 * (kind "initrd", direct kernel boot) or a qcow2 disk (kind "disk"), the guest's SSH
 * host key (hostkey.pub, pinned by the harness) and manifest.json (name, kind, kernel
 * version, package versions, sha256 of every file, build time, host key fingerprint).
 */
#ifndef VMSWEEP_IMAGE_H
#define VMSWEEP_IMAGE_H

#include <stdbool.h>
#include <stddef.h>

#include "domxml.h"

enum image_kind {
    IMAGE_INITRD,
    IMAGE_DISK,
};

struct image {
    char *name;
    char *dir;
    enum image_kind kind;
    char *kernel;          /* vmlinux (PVH boot) or else vmlinuz, or NULL */
    bool pvh;              /* kernel is the uncompressed vmlinux, entered through PVH */
    char *initrd;          /* initrd.img, or NULL */
    char *disk;            /* base qcow2 (disk kind), or NULL */
    char *hostkey;         /* hostkey.pub */
    char *kernel_version;  /* from the manifest, or NULL */
    char *cmdline_extra;   /* kernel command line the image needs (from its manifest) */
    enum domxml_arch arch; /* its guests' architecture (manifest "arch"; older: x86_64) */
    char manifest_sha256[65];
};

#define IMAGE_DEFAULT "tiny"

/* Kernel command line of the images vmsweep builds (TSC clock: cheap, stable reads;
 * loglevel=6: the kernel banner reaches the console, which is how the harness sees a boot
 * make progress, at a cost of ~20 lines; cryptomgr.notests: the kernel's crypto self-tests
 * took 0.36 s of a 2.2 s boot under TCG, and nothing measured runs the guest's crypto). */
#define IMAGE_CMDLINE                                                                              \
    "console=ttyS0 loglevel=6 panic=-1 clocksource=tsc tsc=reliable cryptomgr.notests"
/* The same for aarch64's virt machine: its console is the PL011, its clock the
 * architected timer. */
#define IMAGE_CMDLINE_AARCH64 "console=ttyAMA0 loglevel=6 panic=-1 cryptomgr.notests"

/* The default image of arch's guests: "tiny" for x86_64, "tiny-aarch64" for aarch64, in
 * buf. */
const char *image_default_name(enum domxml_arch arch, char *buf, size_t len);

/* Options of `vmsweep image build`. */
struct image_build_opts {
    const char *name;           /* default IMAGE_DEFAULT */
    const char *kernel_version; /* NULL: newest installed */
    bool disk;                  /* also make a qcow2 disk image */
    bool no_pvh;                /* do not extract vmlinux: boot the compressed kernel */
    bool force;                 /* rebuild even if present */
    enum domxml_arch arch;      /* the guests' architecture (x86_64 unless asked) */
};

/*
 * Build an image (see image_build_opts).  Returns 0, or 2 for bad input / missing
 * packages, 1 for other failures (reported).
 */
int image_build(const struct image_build_opts *opts);

/*
 * Find an image by name (under the cache) or by the path of its folder.  Returns 0 and
 * fills *out, or -1 with a message saying how to build it.  Free with image_free.
 */
int image_resolve(const char *name_or_path, struct image *out);

/* Release what image_resolve filled in (the struct itself is not freed; NULL is fine). */
void image_free(struct image *img);

/* `vmsweep image ...`: build, list, inspect, prepare.  Returns the exit code. */
int image_main(int argc, char **argv);

#endif
