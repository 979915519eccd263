# bash completion for lguest(1); make install puts it in
# $(PREFIX)/share/bash-completion/completions/lguest.
_lguest()
{
	local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD - 1]} w
	local opts="-m --memory -c --cpus -i --initrd -a --append --disk --console --net --name -d --detach --seccomp -q --quiet -h --help"
	local dir=${XDG_RUNTIME_DIR:-/run}/lguest
	[ -n "$XDG_RUNTIME_DIR" ] || [ "$(id -u)" = 0 ] || dir=/tmp/lguest-$(id -u)
	COMPREPLY=()
	if [ "$COMP_CWORD" = 1 ]; then
		COMPREPLY=($(compgen -W "run lan list stat pause resume stop kill console --help --version" -- "$cur"))
		return
	fi
	[ "${COMP_WORDS[1]}" = lan ] && return      # lguest lan NAME
	case ${COMP_WORDS[1]} in           # a running guest's commands: their names, options
	list | stat | pause | resume | stop | kill | console)
		if [[ $cur == -* ]]; then
			COMPREPLY=($(compgen -W "--help $([[ ${COMP_WORDS[1]} == @(list|stat) ]] && echo --json) \
				$([ "${COMP_WORDS[1]}" = stop ] && echo --timeout)" -- "$cur"))
		elif [ "$prev" != --timeout ] && [ "${COMP_WORDS[1]}" != list ]; then
			COMPREPLY=($(compgen -W "$(cd "$dir" 2>/dev/null && for s in *.sock; do [ -S "$s" ] && echo "${s%.sock}"; done)" -- "$cur"))
		fi
		return ;;
	esac
	for w in "${COMP_WORDS[@]:2:COMP_CWORD-2}"; do
		[ "$w" = -- ] && return             # the guest's command: not ours to complete
	done
	case $prev in
	--console) COMPREPLY=($(compgen -W "serial virtio" -- "$cur")); return ;;
	--net) COMPREPLY=($(compgen -W "lan= tap user vhost-user=" -- "$cur")); compopt -o nospace; return ;;
	--seccomp) COMPREPLY=($(compgen -W "on off" -- "$cur")); return ;;
	-m | --memory | -c | --cpus | -a | --append | --name) return ;;
	esac
	if [[ $cur == -* ]]; then
		COMPREPLY=($(compgen -W "$opts --" -- "$cur"))
	else
		COMPREPLY=($(compgen -f -- "$cur"))   # KERNEL, --initrd FILE, --disk PATH
	fi
}
complete -o filenames -F _lguest lguest
