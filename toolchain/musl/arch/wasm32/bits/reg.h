/* wasm has no general registers visible to C. */
#undef __WORDSIZE
#define __WORDSIZE 32
