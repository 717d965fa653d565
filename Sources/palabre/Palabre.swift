import ArgumentParser
import Foundation

/// `palabre`: capture dialogue sessions, participants, initiatives and follow-ups offline.
@main
struct Palabre: AsyncParsableCommand {
    static var configuration: CommandConfiguration {
        CommandConfiguration(
            commandName: "palabre",
            abstract: tr(
                "Saisit hors ligne les séances de dialogue communautaire, les participants, les initiatives et les suivis.",
                "Capture community dialogue sessions, participants, initiatives and follow-ups, offline."),
            discussion: tr(
                """
                Les enregistrements sont conservés dans une base de données SQLite locale (--store, $PALABRE_STORE ou \
                ~/.local/share/palabre/store.sqlite) et saisis selon des formulaires : ceux du dossier indiqué (--forms, \
                $PALABRE_FORMS), sinon ceux que le serveur a publiés (reçus à chaque synchronisation), sinon ceux intégrés à \
                palabre.

                Codes de sortie : 0 succès ; 64 mauvaise utilisation ; 65 saisie refusée (rien n'est écrit) ; 66 \
                enregistrement ou fichier introuvable ; 69 le serveur est injoignable ou a échoué (réessayez plus tard) ; 74 \
                la base de données est inutilisable ; 77 le serveur a refusé le jeton ou la demande, ou la base de données \
                est verrouillée (« palabre unlock »).
                """,
                """
                Records are kept in a local SQLite store (--store, $PALABRE_STORE, or ~/.local/share/palabre/store.sqlite), \
                guided by forms: a folder given (--forms, $PALABRE_FORMS), else those the service published (received at \
                each sync), else the ones built in.

                Exit codes: 0 done; 64 bad usage; 65 input refused (nothing written); 66 no such record or file; \
                69 the service cannot be reached or failed (try again later); 74 the store cannot be used; 77 the service \
                refused the token or the request, or the store is locked ('palabre unlock').
                """),
            subcommands: [
                Init.self, Add.self, Edit.self, Delete.self, Restore.self, List.self, Show.self, Import.self,
                Forms.self, Generate.self, Export.self, IndicatorsCommand.self, Remote.self, Sync.self, SetAsideCommand.self, Node.self,
                Conflicts.self, Resolve.self, Erase.self, Protect.self, Unlock.self, Lock.self, Wipe.self,
            ]
        )
    }

    /// Sets the file-creation mask before anything is created: stores, their -wal and -shm files, exports and
    /// their folders hold names and phone numbers, so they are readable by their owner only (0600, folders 0700).
    static func main() async {
        umask(0o077)
        await localizedMain()
    }
}
