# bash completion for lguest(1); make install puts it in
# $(PREFIX)/share/bash-completion/completions/lguest.
_lguest()
{
	local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD - 1]} w
	local opts="-m --memory -c --cpus -i --initrd -a --append --disk --console --net --seccomp -q --quiet -h --help"
	COMPREPLY=()
	if [ "$COMP_CWORD" = 1 ]; then
		COMPREPLY=($(compgen -W "run lan --help --version" -- "$cur"))
		return
	fi
	[ "${COMP_WORDS[1]}" = lan ] && return      # lguest lan NAME
	for w in "${COMP_WORDS[@]:2:COMP_CWORD-2}"; do
		[ "$w" = -- ] && return             # the guest's command: not ours to complete
	done
	case $prev in
	--console) COMPREPLY=($(compgen -W "serial virtio" -- "$cur")); return ;;
	--net) COMPREPLY=($(compgen -W "lan= tap user vhost-user=" -- "$cur")); compopt -o nospace; return ;;
	--seccomp) COMPREPLY=($(compgen -W "on off" -- "$cur")); return ;;
	-m | --memory | -c | --cpus | -a | --append) return ;;
	esac
	if [[ $cur == -* ]]; then
		COMPREPLY=($(compgen -W "$opts --" -- "$cur"))
	else
		COMPREPLY=($(compgen -f -- "$cur"))   # KERNEL, --initrd FILE, --disk PATH
	fi
}
complete -o filenames -F _lguest lguest
