# fish completion for layergc(8). Installed as /usr/share/fish/vendor_completions.d/layergc.fish.
# The options are those of `layergc --help` and `layergc COMMAND --help`.

set -l commands plan apply check drivers df restore purge

function __layergc_drivers
    echo auto
    echo all
    set -l bin (command -s layergc)
    or return
    set -l dir (path dirname (path resolve $bin))/../lib/layergc/drivers
    test -d $dir; and for f in $dir/*.so
        path basename -E $f
    end
end

complete -c layergc -f
# Global options (also after the command).
complete -c layergc -l root -l data-root -r -xa '(__fish_complete_directories)' -d 'Docker data root'
complete -c layergc -l driver -x -a '(__layergc_drivers)' -d 'storage driver tree to collect'
complete -c layergc -l plugin-dir -xa '(__fish_complete_directories)' -d 'where driver plugins are'
complete -c layergc -l daemon-json -r -F -d "dockerd's daemon.json"
complete -c layergc -l min-age -x -d 'keep anything changed more recently than DURATION (90m, 1.5h, 1d12h, 2w)'
complete -c layergc -l threads -x -d 'worker threads for sizing'
complete -c layergc -l format -x -a 'text json' -d 'output format'
complete -c layergc -s v -l verbose -d 'list every candidate with its reason and evidence'
complete -c layergc -s d -l debug -d 'debug logging'
complete -c layergc -s q -l quiet -d 'only errors and the one-line result'
complete -c layergc -s h -l help -d 'print help and exit'
# The old script's flags stand for a command: offered before one only.
complete -c layergc -n "not __fish_seen_subcommand_from $commands" -s r -l dry-run -d 'same as the plan command'
complete -c layergc -n "not __fish_seen_subcommand_from $commands" -s y -l yes -d 'apply without asking'
complete -c layergc -n "not __fish_seen_subcommand_from $commands" -l version -d 'print the version and exit'

# Commands.
complete -c layergc -n "not __fish_seen_subcommand_from $commands" -a plan -d 'read-only: what is garbage, why, and how many bytes'
complete -c layergc -n "not __fish_seen_subcommand_from $commands" -a apply -d 'remove the garbage'
complete -c layergc -n "not __fish_seen_subcommand_from $commands" -a check -d 'integrity report'
complete -c layergc -n "not __fish_seen_subcommand_from $commands" -a drivers -d 'driver plugins and driver trees'
complete -c layergc -n "not __fish_seen_subcommand_from $commands" -a df -d 'where the space under the root goes'
complete -c layergc -n "not __fish_seen_subcommand_from $commands" -a restore -d 'put quarantined candidates back'
complete -c layergc -n "not __fish_seen_subcommand_from $commands" -a purge -d 'delete quarantine runs for good'

# plan
complete -c layergc -n '__fish_seen_subcommand_from plan' -s o -l output -r -F -d 'also save the plan as JSON'
complete -c layergc -n '__fish_seen_subcommand_from plan' -l exit-code -d 'exit 3 when there is something to collect'
complete -c layergc -n '__fish_seen_subcommand_from plan' -l metrics-file -r -F -d 'write Prometheus metrics to FILE'
complete -c layergc -n '__fish_seen_subcommand_from plan apply' -l filter -x -a 'kind=stray-dir kind=unreferenced-layer kind=lost-container-mount kind=interrupted-removal kind=interrupted-write kind=driver-leftover kind=unnamed-snapshot kind=unnamed-blob kind=unnamed-ingest' -d 'only candidates of this garbage kind'
# apply [PLAN_FILE]
complete -c layergc -n '__fish_seen_subcommand_from apply' -F -d 'saved plan'
complete -c layergc -n '__fish_seen_subcommand_from apply' -s y -l yes -d 'do not ask'
complete -c layergc -n '__fish_seen_subcommand_from apply' -l force -d 'lift the sanity gate'
complete -c layergc -n '__fish_seen_subcommand_from apply' -l audit-log -r -F -d 'JSON-lines audit log of every removal'
complete -c layergc -n '__fish_seen_subcommand_from apply' -l quarantine -d 'move the candidates aside instead of deleting them'
complete -c layergc -n '__fish_seen_subcommand_from apply' -l accept-hidden-processes -d 'run although layergc cannot see every process'
# restore ID [RUN] | --all [RUN] | --list
complete -c layergc -n '__fish_seen_subcommand_from restore' -l all -d 'every candidate of RUN'
complete -c layergc -n '__fish_seen_subcommand_from restore' -l list -d 'list the quarantine runs'
complete -c layergc -n '__fish_seen_subcommand_from restore' -l audit-log -r -F -d 'JSON-lines audit log'
# purge
complete -c layergc -n '__fish_seen_subcommand_from purge' -l older-than -x -d 'only runs started at least DURATION ago'
complete -c layergc -n '__fish_seen_subcommand_from purge' -s y -l yes -d 'do not ask'
complete -c layergc -n '__fish_seen_subcommand_from purge' -l audit-log -r -F -d 'JSON-lines audit log'
