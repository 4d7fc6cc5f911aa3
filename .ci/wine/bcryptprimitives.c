/* A stand-in for Windows' bcryptprimitives.dll, for running zoufang.exe
 * under Wine 8 (Debian 12), which lacks it. Rust's standard library asks
 * it for random numbers (ProcessPrng, Windows 10 and later); here they come
 * from BCryptGenRandom, which Wine has. Only the tests under Wine use it:
 * it is not part of what is handed out. */
#include <windows.h>
#include <bcrypt.h>

BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T length)
{
    while (length > 0) {
        ULONG chunk = length > 0x10000000 ? 0x10000000 : (ULONG)length;
        if (BCryptGenRandom(NULL, data, chunk, BCRYPT_USE_SYSTEM_PREFERRED_RNG) != 0)
            return FALSE;
        data += chunk;
        length -= chunk;
    }
    return TRUE;
}
