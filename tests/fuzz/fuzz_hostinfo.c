/*
 * libFuzzer target for hostinfo_from_json (harness/hostinfo.c): a host record is written
 * into manifest.json by the harness but read back from a file anyone may have edited (and
 * from recorded node info), so any JSON must be read or refused with a sentence, never
 * crash, leak or read out of bounds; what it reads must write and read back the same.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "hostinfo.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    cJSON *doc = cJSON_ParseWithLength((const char *)data, size), *out = NULL;
    struct hostinfo info, again;
    char err[256];

    if (doc == NULL)
        return 0;
    if (hostinfo_from_json(doc, &info, err, sizeof(err)) == 0) {
        out = hostinfo_json(&info);
        if (out == NULL || hostinfo_from_json(out, &again, err, sizeof(err)) != 0)
            abort();
        if (strcmp(info.uri, again.uri) != 0 || info.cpus != again.cpus ||
            info.mem_kib != again.mem_kib || info.free_kib != again.free_kib)
            abort();
        hostinfo_free(&again);
        hostinfo_free(&info);
    } else if (err[0] == '\0') {
        abort(); /* refused without saying why */
    }
    cJSON_Delete(out);
    cJSON_Delete(doc);
    return 0;
}
