/* The entry point is C (crt/wasm32/crt1.c): wasm has no initial stack to
 * read argc/argv from; the kernel's startup call writes the block. */
