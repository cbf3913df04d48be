# bash completion for tproc: verbs, options, space names, and the ids and names of a space's
# programs. Everything comes from tproc itself, so it never goes stale: verbs from `tproc --help`,
# each verb's options from `tproc VERB --help` (the text the man pages are made from too), spaces
# from `tproc space ls`, programs from `tproc ps SPACE`, image references from `tproc images`. Installed as
# share/bash-completion/completions/tproc. zsh has its own, cli/completion/_tproc.

# The verbs `tproc --help` lists.
_tproc_verbs() {
  "$1" --help 2>/dev/null | awk '/^Commands:/ { listing = 1; next } listing && /^  [a-z]/ { print $1 } /^$/ { listing = 0 }'
}

# VERB's options, one per line as "--name" or "--name=" (takes a value), and the short ones as "-x"
# or "-x=", read from its --help ("  -s, --signal SIGNAL  ...").
_tproc_options() {
  "$1" "$2" --help 2>/dev/null | sed -n 's/^  *\(-[a-zA-Z], \)\{0,1\}\(--[a-z][a-z-]*\)\( [A-Z][][A-Z|=_.:]*\)\{0,1\}  .*/\1\2\3/p' |
    while read -r first second third; do
      local short="" long value=""
      if [[ $first == -?, ]]; then short=${first%,}; long=$second; value=$third; else long=$first; value=$second; fi
      [[ -n $value ]] && value="="
      [[ -n $short ]] && echo "$short$value"
      echo "$long$value"
    done
}

# The spaces `tproc space ls` lists (the first column, under the header).
_tproc_spaces() { "$1" space ls 2>/dev/null | awk 'NR > 1 { print $1 }'; }

# The ids and names of SPACE's programs (`tproc ps -a SPACE` as ID and name: a template lists
# the programs alone, also in a space whose `ps` table starts with an app's services).
_tproc_programs() { "$1" ps -a "$2" --format '{{.ID}} {{.Name}}' 2>/dev/null | awk '{ print $1; if ($2 != "") print $2 }'; }

# The services of SPACE's app (the SERVICE column of `tproc ps SPACE`; nothing without an app).
_tproc_services() { "$1" ps "$2" 2>/dev/null | awk 'NR == 1 && $1 != "SERVICE" { exit } NR > 1 && $1 != "-" && !seen[$1]++ { print $1 }'; }

# The references `tproc images` lists (the first column, under the header; <none> left out).
_tproc_images() { "$1" images 2>/dev/null | awk 'NR > 1 && $1 != "<none>" { print $1 }'; }

_tproc() {
  local tproc=${COMP_WORDS[0]} cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD - 1]}
  COMPREPLY=()
  local i verb="" first=0
  for ((i = 1; i < COMP_CWORD; i++)); do
    if [[ ${COMP_WORDS[i]} != -* ]]; then
      verb=${COMP_WORDS[i]} first=$((i + 1))
      break
    fi
  done
  if [[ -z $verb ]]; then
    mapfile -t COMPREPLY < <(compgen -W "$(_tproc_verbs "$tproc") --help --version" -- "$cur")
    return
  fi

  # The options of VERB; which of them take a value (their next word is not an operand).
  local options option with_value=" "
  options=$(_tproc_options "$tproc" "$verb")
  for option in $options; do [[ $option == *= ]] && with_value+="${option%=} "; done

  # A value for the option before the cursor.
  if [[ $with_value == *" $prev "* ]]; then
    case $prev in
      -s | --sort) if [[ $verb == top ]]; then
          mapfile -t COMPREPLY < <(compgen -W "cpu mem mapped threads fds id name" -- "$cur")
        else
          mapfile -t COMPREPLY < <(compgen -W "TERM KILL INT HUP QUIT USR1 USR2 STOP CONT" -- "$cur")
        fi ;;
      --signal) mapfile -t COMPREPLY < <(compgen -W "TERM KILL INT HUP QUIT USR1 USR2 STOP CONT" -- "$cur") ;;
      --format) mapfile -t COMPREPLY < <(compgen -W "table json" -- "$cur") ;;
      --filter | -f) [[ $verb == ps ]] && mapfile -t COMPREPLY < <(compgen -W "name= id= status=running status=paused status=exited label= service=" -- "$cur") ;;
      --cwd | -w | --rootfs) mapfile -t COMPREPLY < <(compgen -d -- "$cur") ;;
      --net) mapfile -t COMPREPLY < <(compgen -W "host none ns:" -- "$cur") ;;
      --user | -u) mapfile -t COMPREPLY < <(compgen -u -- "$cur") ;;
      --pid) mapfile -t COMPREPLY < <(compgen -W "host private" -- "$cur") ;;
      --tls-verify) mapfile -t COMPREPLY < <(compgen -W "true false" -- "$cur") ;;
      *) mapfile -t COMPREPLY < <(compgen -f -- "$cur") ;;
    esac
    return
  fi

  # The operands before the cursor, options and their values skipped. For `run`, the first
  # operand after SPACE TARGET belongs to the program: its arguments are files.
  local operands=()
  for ((i = first; i < COMP_CWORD; i++)); do
    local word=${COMP_WORDS[i]}
    if [[ $word == -* && ! ($verb == run && ${#operands[@]} -ge 2) ]]; then
      [[ $with_value == *" $word "* ]] && ((i++))
      continue
    fi
    operands+=("$word")
  done
  if [[ $cur == -* && ! ($verb == run && ${#operands[@]} -ge 2) ]]; then
    mapfile -t COMPREPLY < <(compgen -W "$(echo "$options" | tr -d =) --help" -- "$cur")
    return
  fi

  local n=${#operands[@]} words="" files=0
  case $verb:$n in
    run:0 | ps:0 | down:0 | stop:0 | restart:0 | kill:0 | logs:0 | rm:0 | wait:0 | stats:0 | top:0 | pause:0 | unpause:0 | maps:0 | debug:0 | which:0) words=$(_tproc_spaces "$tproc") ;;
    logs:1) words=$({ _tproc_services "$tproc" "${operands[0]}"; _tproc_programs "$tproc" "${operands[0]}"; } | sort -u) ;;
    maps:1 | debug:1) words=$(_tproc_programs "$tproc" "${operands[0]}") ;;
    inspect:1) [[ ! -e ${operands[0]} ]] && words=$(_tproc_programs "$tproc" "${operands[0]}") ;;  # SPACE ID|NAME
    stop:* | restart:* | kill:* | rm:* | wait:* | pause:* | unpause:*) words=$(_tproc_programs "$tproc" "${operands[0]}") ;;  # ID|NAME...
    space:0) words="ls rm" ;;
    space:1) [[ ${operands[0]} == rm ]] && words=$(_tproc_spaces "$tproc") ;;
    registry:0) words="ls" ;;
    registry:1) words=$(_tproc_spaces "$tproc") ;;
    compose:0) words="config up down ps logs restart" ;;
    run:*) files=1 ;;
    build:0) mapfile -t COMPREPLY < <(compgen -d -- "$cur"); return ;;
    inspect:0) files=1 words=$(_tproc_spaces "$tproc") ;;  # BUNDLE, or SPACE
    push:0) files=1 ;;
    rmi:*) words=$(_tproc_images "$tproc") ;;  # REF...
  esac
  if ((files)); then
    # `|| :`: no file matching is no reason to stop (under set -e) before the words.
    mapfile -t COMPREPLY < <(compgen -f -- "$cur" || :; [[ -z $words ]] || compgen -W "$words" -- "$cur")
  elif [[ -n $words ]]; then
    mapfile -t COMPREPLY < <(compgen -W "$words" -- "$cur")
  fi
}
complete -F _tproc tproc
