#include <openssl/evp.h>
// RAND_bytes and CRYPTO_memcmp live outside evp.h; PerimeterCrypto needs both.
#include <openssl/rand.h>
#include <openssl/crypto.h>
