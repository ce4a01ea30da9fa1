/*
 * libFuzzer target for what the harness reads from the guest's SFTP server and command
 * streams (harness/guest.c): the body of SSH_FXP_NAME replies, as a directory listing
 * is read, and stdout/stderr bytes split into capped lines.  The first byte chooses
 * how the rest is cut into replies; any input must be kept within GUEST_MAX_LIST
 * entries and GUEST_MAX_LINE bytes a line, never crash, leak or read out of bounds.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "guest.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void on_line(const char *line, void *arg)
{
    size_t *lines = arg;
    if (strlen(line) > GUEST_MAX_LINE + sizeof(GUEST_LINE_CUT))
        abort();
    (*lines)++;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct guest_listing l;
    struct guest_lines *lines;
    size_t cut, nlines = 0;
    int rc = 0;

    if (size == 0)
        return 0;
    cut = (size_t)data[0] * 7 + 1;
    data++;
    size--;

    memset(&l, 0, sizeof(l));
    for (size_t off = 0; off < size && rc == 0;) {
        size_t len = size - off < cut ? size - off : cut;
        rc = guest_listing_add(&l, data + off, len);
        off += len;
    }
    if (l.seen > GUEST_MAX_LIST || l.n > l.seen)
        abort();
    for (size_t i = 0; i < l.n; i++)
        if (l.names[i] == NULL || l.names[i][0] == '\0' || strlen(l.names[i]) > GUEST_MAX_NAME)
            abort();
    guest_listing_free(&l);

    lines = calloc(1, sizeof(*lines));
    if (lines == NULL)
        return 0;
    for (size_t off = 0; off < size;) {
        size_t len = size - off < cut ? size - off : cut;
        guest_lines_feed(lines, (const char *)data + off, len, on_line, &nlines);
        off += len;
    }
    guest_lines_end(lines, on_line, &nlines);
    free(lines);
    return 0;
}
