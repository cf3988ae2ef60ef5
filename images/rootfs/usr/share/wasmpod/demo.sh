#!/bin/sh
# A short tour of the pod's shell: a notebook kept in a file, driven by a
# prompt loop. Every prompt has a default (press Enter); `shell` (or the
# end of input) leaves the loop for an interactive shell.
#
#   sh /usr/share/wasmpod/demo.sh [NOTES-FILE]

notes=${1:-$HOME/notes.txt}

say() {
	printf '%s\n' "$*"
}

ask() {
	# ask PROMPT DEFAULT: reads one line into $answer, DEFAULT if empty.
	printf '%s [%s]: ' "$1" "$2"
	if ! read -r answer; then
		answer=
		return 1
	fi
	answer=${answer:-$2}
}

add_note() {
	printf '%s\n' "$1" >>"$notes"
	say "added note $(wc -l <"$notes" | tr -d ' '): $1"
}

list_notes() {
	if [ ! -s "$notes" ]; then
		say "no notes yet in $notes"
		return
	fi
	awk '{ printf "%3d  %s\n", NR, $0 }' "$notes"
}

word_stats() {
	# The pipeline: every word on a line of its own, lower case, counted.
	if [ ! -s "$notes" ]; then
		say "nothing to count"
		return
	fi
	say "most frequent words:"
	tr -cs 'A-Za-z0-9' '\n' <"$notes" | tr 'A-Z' 'a-z' | grep . | sort | uniq -c | sort -k1,1nr -k2 | head -n 3
	say "checksum: $(sha1sum <"$notes" | cut -c1-12)"
}

say "wasmpod shell demo: notes in $notes"
say "commands: add, list, stats, clear, shell, quit"
while :; do
	ask "demo>" list || break
	set -- $answer
	cmd=$1
	[ $# -gt 0 ] && shift
	case $cmd in
	a | add)
		text=$*
		if [ -z "$text" ]; then
			ask "note" "hello from wasmpod" || break
			text=$answer
		fi
		add_note "$text"
		;;
	l | list) list_notes ;;
	s | stats) word_stats ;;
	clear)
		: >"$notes"
		say "cleared"
		;;
	sh | shell) break ;;
	q | quit | exit)
		say bye
		exit 0
		;;
	*) say "unknown command '$cmd' (add, list, stats, clear, shell, quit)" ;;
	esac
done
say "starting an interactive shell: try 'cat $notes', 'exit' leaves"
exec /bin/sh -i
