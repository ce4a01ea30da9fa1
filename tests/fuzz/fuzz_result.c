/* libFuzzer target: the cmd workload's result-line parser, the command splitter, the
 * http response parser and the activity line's parser (read by the harness from the
 * guest) must never crash, read out of bounds, or leak. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "activity.h"
#include "cmdsplit.h"
#include "httpresp.h"
#include "result.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct result r;
    struct httpresp *p = malloc(sizeof(*p));
    char err[128], *s = malloc(size + 1), **argv;
    size_t used, off = 0;

    if (!s || !p) {
        free(s);
        free(p);
        return 0;
    }
    result_parse_output((const char *)data, size, &r, err, sizeof(err));
    memcpy(s, data, size);
    s[size] = 0;
    {
        struct activity a;
        (void)activity_parse(s, &a);
    }
    if (cmdsplit(s, &argv, err, sizeof(err)) == 0)
        cmdsplit_free(argv);
    httpresp_init(p);
    while (off < size) {
        int rc = httpresp_feed(p, (const char *)data + off, size - off < 7 ? size - off : 7, &used);
        off += used;
        if (rc == HTTPRESP_ERROR)
            break;
        if (rc == HTTPRESP_DONE)
            httpresp_init(p);
    }
    httpresp_eof(p);
    free(s);
    free(p);
    return 0;
}
