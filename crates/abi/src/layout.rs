//! Explicit, checked struct layouts.
//!
//! `abi_struct!` declares a plain Rust struct together with the byte offset of
//! every field in the wasm32 C layout and the total size. Encoding and
//! decoding are done field by field in little-endian, so no `unsafe`
//! transmutes are needed anywhere in the kernel.

/// A struct with a fixed wasm32 byte layout.
pub trait AbiStruct: Sized {
    /// `sizeof` in the wasm32 C ABI.
    const SIZE: usize;
    /// Writes the struct into `out[..SIZE]` (padding bytes become zero).
    fn encode(&self, out: &mut [u8]);
    /// Reads the struct from `buf[..SIZE]`.
    fn decode(buf: &[u8]) -> Self;
    /// Encodes into a fresh vector of `SIZE` bytes.
    fn to_vec(&self) -> alloc_free::Bytes {
        let mut b = alloc_free::Bytes::new(Self::SIZE);
        self.encode(b.as_mut());
        b
    }
}

/// A small fixed-capacity byte buffer so `abi` stays free of `alloc`.
pub mod alloc_free {
    /// Capacity: the largest ABI struct (siginfo_t, statx at 256 bytes, and
    /// utsname at 390 bytes) fits.
    pub const CAP: usize = 512;

    /// Bytes of one encoded struct.
    #[derive(Clone)]
    pub struct Bytes {
        buf: [u8; CAP],
        len: usize,
    }

    impl Bytes {
        /// A zeroed buffer of `len` bytes.
        ///
        /// # Panics
        /// If `len > CAP`; only ABI struct sizes are passed here.
        pub fn new(len: usize) -> Self {
            assert!(len <= CAP, "ABI struct larger than Bytes::CAP");
            Bytes { buf: [0; CAP], len }
        }
        pub fn as_mut(&mut self) -> &mut [u8] {
            &mut self.buf[..self.len]
        }
    }

    impl core::ops::Deref for Bytes {
        type Target = [u8];
        fn deref(&self) -> &[u8] {
            &self.buf[..self.len]
        }
    }
}

/// A field type that can be stored at an offset.
pub trait Field: Sized {
    const WIDTH: usize;
    fn put(&self, out: &mut [u8]);
    fn get(buf: &[u8]) -> Self;
}

macro_rules! int_field {
    ($($t:ty),*) => {$(
        impl Field for $t {
            const WIDTH: usize = core::mem::size_of::<$t>();
            fn put(&self, out: &mut [u8]) {
                out[..Self::WIDTH].copy_from_slice(&self.to_le_bytes());
            }
            fn get(buf: &[u8]) -> Self {
                let mut a = [0u8; core::mem::size_of::<$t>()];
                a.copy_from_slice(&buf[..Self::WIDTH]);
                <$t>::from_le_bytes(a)
            }
        }
    )*};
}
int_field!(u8, i8, u16, i16, u32, i32, u64, i64);

impl<T: Field + Copy + Default, const N: usize> Field for [T; N] {
    const WIDTH: usize = T::WIDTH * N;
    fn put(&self, out: &mut [u8]) {
        for (i, v) in self.iter().enumerate() {
            v.put(&mut out[i * T::WIDTH..]);
        }
    }
    fn get(buf: &[u8]) -> Self {
        let mut a = [T::default(); N];
        for (i, v) in a.iter_mut().enumerate() {
            *v = T::get(&buf[i * T::WIDTH..]);
        }
        a
    }
}

/// Declares an ABI struct with explicit offsets and size.
///
/// ```ignore
/// abi_struct! {
///     /// struct timespec
///     pub struct timespec, size 16 {
///         pub tv_sec: i64 => 0,
///         pub tv_nsec: i32 => 8,
///     }
/// }
/// ```
/// A compile-time check rejects overlapping or out-of-bounds fields only
/// through the tests in each module (`assert_layout!`); the offsets are the
/// documentation.
macro_rules! abi_struct {
    ($(#[$m:meta])* pub struct $name:ident, size $size:literal {
        $($(#[$fm:meta])* pub $field:ident : $ty:ty => $off:literal),* $(,)?
    }) => {
        $(#[$m])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq)]
        pub struct $name {
            $($(#[$fm])* pub $field: $ty,)*
        }
        impl $name {
            /// Byte offset of each field, by name (for layout tests and the
            /// generated C checks).
            pub const FIELDS: &'static [(&'static str, usize, usize)] = &[
                $((stringify!($field), $off, <$ty as $crate::layout::Field>::WIDTH),)*
            ];
        }
        impl Default for $name {
            fn default() -> Self {
                <Self as $crate::layout::AbiStruct>::decode(&[0u8; $size])
            }
        }
        impl $crate::layout::AbiStruct for $name {
            const SIZE: usize = $size;
            fn encode(&self, out: &mut [u8]) {
                let out = &mut out[..$size];
                out.fill(0);
                $( $crate::layout::Field::put(&self.$field, &mut out[$off..]); )*
            }
            fn decode(buf: &[u8]) -> Self {
                let buf = &buf[..$size];
                $name { $($field: <$ty as $crate::layout::Field>::get(&buf[$off..]),)* }
            }
        }
        // Every field must end inside the struct.
        const _: () = {
            $( assert!($off + <$ty as $crate::layout::Field>::WIDTH <= $size); )*
        };
    };
}

#[cfg(test)]
pub(crate) fn assert_no_overlap(fields: &[(&str, usize, usize)]) {
    for (i, a) in fields.iter().enumerate() {
        for b in &fields[i + 1..] {
            let disjoint = a.1 + a.2 <= b.1 || b.1 + b.2 <= a.1;
            assert!(disjoint, "fields {} and {} overlap", a.0, b.0);
        }
    }
}
