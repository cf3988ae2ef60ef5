/* The kernel's struct stat (wasmpod_abi::fs::stat): musl's generic layout
 * with 64-bit times, so fstatat's conversion is a field-by-field copy. */
struct kstat {
	dev_t st_dev;
	ino_t st_ino;
	mode_t st_mode;
	nlink_t st_nlink;
	uid_t st_uid;
	gid_t st_gid;
	dev_t st_rdev;
	unsigned long __pad;
	off_t st_size;
	blksize_t st_blksize;
	int __pad2;
	blkcnt_t st_blocks;
	long long st_atime_sec;
	long st_atime_nsec;
	long long st_mtime_sec;
	long st_mtime_nsec;
	long long st_ctime_sec;
	long st_ctime_nsec;
	unsigned __unused[2];
};
