/*
 * libFuzzer target for qcow2_parse and qcow2_rebase_head (harness/qcow2.c): a disk image's
 * header is the user's file, read before it goes up to a libvirt host, so any bytes must
 * be read or refused with a sentence, never crash or read out of bounds; a header that is
 * read and rewritten to name another backing file must read back with that name, format
 * and the same virtual size.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "qcow2.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char name[] = "/var/lib/libvirt/vmsweep/vmsweep-0123-disk.qcow2";
    struct qcow2_info qi, again;
    unsigned char *out;
    char err[160] = "";

    if (qcow2_parse(data, size, &qi, err, sizeof(err)) != 0) {
        if (err[0] == '\0')
            abort(); /* refused without saying why */
        return 0;
    }
    if (size < qi.cluster)
        return 0; /* the rewrite takes the whole first cluster */
    out = malloc(qi.cluster);
    if (out == NULL)
        return 0;
    if (qcow2_rebase_head(data, &qi, name, "qcow2", out, err, sizeof(err)) == 0) {
        if (qcow2_parse(out, qi.cluster, &again, err, sizeof(err)) != 0 ||
            strcmp(again.backing, name) != 0 || strcmp(again.backing_fmt, "qcow2") != 0 ||
            again.size != qi.size || again.cluster != qi.cluster)
            abort();
    } else if (err[0] == '\0') {
        abort();
    }
    free(out);
    return 0;
}
