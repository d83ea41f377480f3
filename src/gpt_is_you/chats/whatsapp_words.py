"""What WhatsApp writes instead of a message, in the languages we read.

English, German, French, Spanish, Portuguese (Brazil and Portugal), Italian and
Dutch. Lookups are case-insensitive (``casefold``) and ignore a final full stop,
because phones disagree on both between versions.
"""

from __future__ import annotations

import re

# Android without media: the whole body is one of these.
MEDIA_OMITTED = {
    "<media omitted>",
    "<medien ausgeschlossen>",
    "<médias omis>",
    "<fichier omis>",
    "<multimedia omitido>",
    "<archivo omitido>",
    "<mídia oculta>",
    "<arquivo de mídia oculto>",
    "<multimédia omitido>",
    "<ficheiro multimédia omitido>",
    "<media omessi>",
    "<file multimediale omesso>",
    "<media weggelaten>",
}

# iOS without media: "<kind> omitted", usually after U+200E, sometimes after a file
# name ("Report.pdf • 3 pages ‎document omitted"). The last word says "omitted".
OMITTED_WORDS = {
    "omitted",
    "weggelassen",
    "ausgelassen",
    "ausgeschlossen",
    "omis",
    "manquant",
    "manquante",
    "omise",
    "omises",
    "absent",
    "absente",
    "retiré",
    "omitido",
    "omitida",
    "omitidos",
    "ocultado",
    "ocultada",
    "oculto",
    "oculta",
    "omesso",
    "omessa",
    "omessi",
    "escluso",
    "incluso",
    "inclusa",
    "esclusa",
    "weggelaten",
}

# Android with media: "IMG-20230103-WA0001.jpg (file attached)", caption on later lines.
FILE_ATTACHED = re.compile(
    r"\((?:file attached|datei angehängt|fichier joint|archivo adjunto|arquivo anexado"
    r"|ficheiro anexado|ficheiro anexo|file allegato|bestand bijgevoegd)\)\s*\Z",
    re.IGNORECASE,
)

# iOS with media: "<attached: 00000012-PHOTO-2023-01-03-09-06-00.jpg>".
ATTACHED = re.compile(
    r"<(?:attached|anhang|angehängt|pièce jointe|joint|adjunto|anexado|anexo|allegato"
    r"|bijgevoegd|bijlage) ?: [^>\n]*>",
    re.IGNORECASE,
)

# "location: https://maps.google.com/?q=…" (Android) or "Location: …" (iOS), any language.
LOCATION = re.compile(
    r"[^\W\d_][^\W\d_ ]*(?: [^\W\d_]+)? ?: ?https?://"
    r"(?:maps\.google\.|www\.google\.[a-z.]+/maps|goo\.gl/maps|maps\.app\.goo\.gl|maps\.apple\.com|foursquare\.com)",
)
# Bodies WhatsApp writes whole, as it writes them (a final full stop varies).
LIVE_LOCATION_TEXTS = (
    "Live location shared",
    "Live-Standort geteilt",
    "Position en direct partagée",
    "Ubicación en tiempo real compartida",
    "Localização em tempo real compartilhada",
    "Posizione in tempo reale condivisa",
    "Live locatie gedeeld",
)
DELETED_TEXTS = (
    "This message was deleted",
    "You deleted this message",
    "Diese Nachricht wurde gelöscht",
    "Du hast diese Nachricht gelöscht",
    "Sie haben diese Nachricht gelöscht",
    "Ce message a été supprimé",
    "Vous avez supprimé ce message",
    "Tu as supprimé ce message",
    "Se eliminó este mensaje",
    "Este mensaje fue eliminado",
    "Eliminaste este mensaje",
    "Mensagem apagada",
    "Esta mensagem foi apagada",
    "Esta mensagem foi eliminada",
    "Você apagou esta mensagem",
    "Apagaste esta mensagem",
    "Eliminaste esta mensagem",
    "Questo messaggio è stato eliminato",
    "Hai eliminato questo messaggio",
    "Dit bericht is verwijderd",
    "Je hebt dit bericht verwijderd",
    "U hebt dit bericht verwijderd",
)
LIVE_LOCATION = {t.casefold() for t in LIVE_LOCATION_TEXTS}
DELETED = {t.casefold() for t in DELETED_TEXTS}

# The marker appended to an edited message, inside angle brackets.
EDITED = {
    "this message was edited",
    "diese nachricht wurde bearbeitet",
    "ce message a été modifié",
    "se editó este mensaje",
    "este mensaje fue editado",
    "mensagem editada",
    "esta mensagem foi editada",
    "questo messaggio è stato modificato",
    "dit bericht is bewerkt",
    "dit bericht is gewijzigd",
}

# System lines recognisable by how they start, even where an iOS export forgot the
# U+200E it normally puts before them (on Android a system line has no "Name: ").
SYSTEM_PREFIXES = (
    "Messages and calls are end-to-end encrypted",
    "Messages to this group are now secured with end-to-end encryption",
    "Messages to this chat and calls are now secured with end-to-end encryption",
    "Messages you send to this chat and calls are now secured",
    "Nachrichten und Anrufe sind Ende-zu-Ende-verschlüsselt",
    "Les messages et les appels sont chiffrés de bout en bout",
    "Los mensajes y las llamadas están cifrados de extremo a extremo",
    "As mensagens e as chamadas são protegidas com a criptografia de ponta a ponta",
    "As mensagens e chamadas são protegidas com criptografia de ponta a ponta",
    "As mensagens e as chamadas estão encriptadas ponta a ponta",
    "I messaggi e le chiamate sono crittografati end-to-end",
    "Berichten en oproepen worden end-to-end versleuteld",
    "Berichten en gesprekken worden end-to-end versleuteld",
    "Missed voice call",
    "Missed video call",
    "Missed group voice call",
    "Missed group video call",
    "Verpasster Sprachanruf",
    "Verpasster Videoanruf",
    "Appel vocal manqué",
    "Appel vidéo manqué",
    "Llamada perdida",
    "Videollamada perdida",
    "Chamada de voz perdida",
    "Chamada de vídeo perdida",
    "Chiamata vocale persa",
    "Videochiamata persa",
    "Gemiste spraakoproep",
    "Gemiste video-oproep",
    "Your security code with",
    "Dein Sicherheitscode für",
    "Ihr Sicherheitscode für",
    "Votre code de sécurité avec",
    "Tu código de seguridad con",
    "Seu código de segurança com",
    "O seu código de segurança com",
    "Il tuo codice di sicurezza con",
    "Je beveiligingscode met",
)

# How location shares start, before the map link: "location: https://maps.google.com/…".
LOCATION_PREFIXES = (
    "location: ",
    "Standort: ",
    "Localisation : ",
    "Localisation: ",
    "Position : ",
    "Ubicación: ",
    "Localização: ",
    "Posizione: ",
    "Locatie: ",
)

SYSTEM_PREFIXES = tuple(p.casefold() for p in SYSTEM_PREFIXES)
LOCATION_PREFIXES = tuple(p.casefold() for p in LOCATION_PREFIXES)

# Quotes around a group's subject inside a system line, as (opening, closing).
# Single quotes are left out: names such as O'Brien hold one.
QUOTES = (('"', '"'), ("“", "”"), ("„", "“"), ("«", "»"))
