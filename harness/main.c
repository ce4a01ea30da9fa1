/* vmsweep — placeholder entry point until the harness lands. */
#include <stdio.h>

int main(void)
{
    puts("vmsweep " VMSWEEP_VERSION);
    return 0;
}
