# bash completion for userctl(8), the krelay control tool -*- shell-script -*-
# SPDX-License-Identifier: GPL-2.0

# Resolve abbreviation "$1" against "word:name" pairs "$2...", the way
# userctl does: an exact word wins, otherwise every word it abbreviates must
# share one name.  Prints the name, or nothing (unknown or ambiguous).
_userctl_resolve()
{
    local w=$1 p hit=
    shift
    for p in "$@"; do
        [[ ${p%%:*} == "$w" ]] && { printf '%s\n' "${p#*:}"; return; }
    done
    for p in "$@"; do
        if [[ ${p%%:*} == "$w"* ]]; then
            [[ -n $hit && $hit != "${p#*:}" ]] && return
            hit=${p#*:}
        fi
    done
    [[ -n $hit ]] && printf '%s\n' "$hit"
}

# A field ("listen" or "id") of every current rule, from userctl -j rule list
# (prints nothing when the module is not loaded).
_userctl_rule_field()
{
    local field=$1
    "${_userctl_cmd:-userctl}" -j rule list 2>/dev/null |
        grep -o "\"$field\": *\"\\{0,1\\}[^\",}]*" |
        sed "s/^\"$field\": *\"\\{0,1\\}//"
}

# Words to complete from: "$1" (a space-separated list) filtered by $cur.
_userctl_compgen()
{
    local w
    while IFS= read -r w; do
        COMPREPLY+=("$w")
    done < <(compgen -W "$1" -- "$cur")
}

_userctl()
{
    local cur prev words cword
    if declare -F _init_completion >/dev/null; then
        _init_completion -n : || return
    else
        cur=${COMP_WORDS[COMP_CWORD]}
        prev=${COMP_WORDS[COMP_CWORD - 1]}
        words=("${COMP_WORDS[@]}")
        cword=$COMP_CWORD
    fi
    local _userctl_cmd=${words[0]}

    local objects="rule backend acl conn stats monitor apply export trace help"
    local options="-j --json -p --pretty -s --stats -h --human -t --timestamp -o --output -V --version --help"
    local rule_kw="to weight sched holddown mode connect-timeout idle-timeout backlog src mark keepalive maxconn proxy-protocol transparent check allow deny"
    local set_kw="$rule_kw acl"

    # Find the object and command typed so far (options come first).
    local i=1 obj='' cmd='' argi=0
    while ((i < cword)); do
        local w=${words[i]}
        if [[ -z $obj ]]; then
            if [[ $w == -* ]]; then
                # -o / --output take the next word (unless -oFORMAT, --output=F)
                [[ $w == -o || $w == --o || $w == --ou* && $w != *=* ]] && ((i++))
                ((i++))
                continue
            fi
            obj=$(_userctl_resolve "$w" rule:rule conn:conn connection:conn \
                stats:stats statistics:stats trace:trace help:help \
                backend:backend acl:acl monitor:monitor apply:apply \
                export:export)
            [[ -z $obj ]] && return
        elif [[ -z $cmd ]]; then
            case $obj in
                rule) cmd=$(_userctl_resolve "$w" add:add del:del delete:del \
                          set:set list:list show:list ls:list help:help) ;;
                conn) cmd=$(_userctl_resolve "$w" list:list show:list ls:list \
                          count:count kill:kill help:help) ;;
                backend) cmd=$(_userctl_resolve "$w" add:add del:del \
                          delete:del set:set list:list show:list ls:list \
                          help:help) ;;
                acl) cmd=$(_userctl_resolve "$w" add:add del:del delete:del \
                          flush:flush list:list show:list ls:list help:help) ;;
                *) cmd=- ; argi=1 ;;
            esac
            [[ -z $cmd ]] && return
        else
            ((argi++))
        fi
        ((i++))
    done

    COMPREPLY=()
    if [[ -z $obj ]]; then
        if [[ $prev == -o || $prev == --o || $prev == --ou* ]]; then
            _userctl_compgen "text json prometheus"
        elif [[ $cur == -* ]]; then
            _userctl_compgen "$options"
        else
            _userctl_compgen "$objects"
        fi
        return
    fi

    case $obj in
    help)
        ((argi == 0)) && [[ -z $cmd ]] &&
            _userctl_compgen "rule backend acl conn stats monitor apply export trace"
        ;;
    monitor)
        if [[ $prev == count ]]; then
            :
        else
            _userctl_compgen "rule conn backend all count help"
        fi
        ;;
    apply)
        if [[ $cur == -* ]]; then
            _userctl_compgen "--dry-run"
        else
            local f
            while IFS= read -r f; do COMPREPLY+=("$f"); done < <(compgen -f -- "$cur")
        fi
        ;;
    export) ;;
    backend)
        if [[ -z $cmd ]]; then
            _userctl_compgen "add del set list show help"
        elif [[ $prev == id ]]; then
            _userctl_compgen "$(_userctl_rule_field id)"
        elif ((argi == 0)); then
            _userctl_compgen "id $(_userctl_rule_field listen)"
        elif [[ $cmd == add ]] && ((argi >= 2)) && ((argi % 2 == 0)); then
            _userctl_compgen "weight maxconn"
        elif [[ $cmd == set ]] && ((argi >= 2)) && [[ $prev != weight && $prev != maxconn && $prev != timeout ]]; then
            _userctl_compgen "weight maxconn drain undrain$([[ $prev == drain ]] && echo " timeout")"
        elif [[ $prev == maxconn || ( $cmd == set && $prev == timeout ) ]]; then
            _userctl_compgen "off"
        fi
        ;;
    acl)
        if [[ -z $cmd ]]; then
            _userctl_compgen "add del flush list show help"
        elif [[ $cmd == add || $cmd == del ]] && ((argi == 0)); then
            _userctl_compgen "allow deny"
        fi
        ;;
    trace)
        [[ -z $cmd ]] && _userctl_compgen "help"
        ;;
    stats)
        if [[ $prev == id ]]; then
            _userctl_compgen "$(_userctl_rule_field id)"
        elif [[ -z $cmd ]]; then
            _userctl_compgen "help id $(_userctl_rule_field listen)"
        fi
        ;;
    rule)
        if [[ -z $cmd ]]; then
            _userctl_compgen "add del set list show help"
        elif [[ $prev == id ]]; then
            _userctl_compgen "$(_userctl_rule_field id)"
        else
            case $prev in
            mode|m|mo|mod) _userctl_compgen "splice copy" ;;
            sched) _userctl_compgen "rr wrr lc" ;;
            keepalive|maxconn) _userctl_compgen "off" ;;
            proxy-protocol) _userctl_compgen "v1 v2 off" ;;
            transparent) _userctl_compgen "on off" ;;
            src) [[ $cmd == set ]] && _userctl_compgen "none" ;;
            acl) _userctl_compgen "flush" ;;
            check)
                if [[ $cmd == set ]]; then
                    _userctl_compgen "on off interval timeout rise fall"
                else
                    _userctl_compgen "on interval timeout rise fall"
                fi
                ;;
            to|weight|holddown|connect-timeout|idle-timeout|backlog|mark|allow|deny) ;;
            interval|timeout|rise|fall) ;;
            *)
                case $cmd in
                add)
                    ((argi >= 1)) && _userctl_compgen "$rule_kw"
                    ;;
                del)
                    if ((argi == 0)); then
                        _userctl_compgen "id $(_userctl_rule_field listen)"
                    elif [[ $prev != --drain ]]; then
                        _userctl_compgen "--drain"
                    fi
                    ;;
                list)
                    ((argi == 0)) && _userctl_compgen "id $(_userctl_rule_field listen)"
                    ;;
                set)
                    if ((argi == 0)); then
                        _userctl_compgen "id $(_userctl_rule_field listen)"
                    else
                        _userctl_compgen "$set_kw"
                    fi
                    ;;
                esac
                ;;
            esac
        fi
        ;;
    conn)
        if [[ -z $cmd ]]; then
            _userctl_compgen "list show count kill help"
        elif [[ $prev == id ]]; then
            _userctl_compgen "$(_userctl_rule_field id)"
        elif [[ $cmd == list || $cmd == count ]]; then
            if ((argi == 0)); then
                _userctl_compgen "rule"
            elif [[ $prev == rule ]]; then
                _userctl_compgen "id $(_userctl_rule_field listen)"
            fi
        fi
        ;;
    esac

    declare -F __ltrim_colon_completions >/dev/null &&
        __ltrim_colon_completions "$cur"
    return 0
}
complete -F _userctl userctl
