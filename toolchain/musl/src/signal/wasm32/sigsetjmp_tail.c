/* Not used on wasm32: sigsetjmp is a macro and siglongjmp restores the mask. */
