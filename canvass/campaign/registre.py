"""The processing record (« registre des traitements », RGPD art. 30) of a campaign using canvass, in French.

:func:`processing_record` fills the record from what canvass does (purposes,
data categories, retention, recipients, security measures) and, when given a
store and a campaign, from what the store holds today. The campaign completes
the fields only it knows (controller, contact, host) and keeps the record with
its other compliance papers. Markdown for files and the app, HTML for printing.
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from datetime import date, datetime

import sqlalchemy as sa

from canvass.campaign import schema as t
from canvass.campaign.auth import ThrottlePolicy
from canvass.campaign.field_csv import OUTCOMES
from canvass.campaign.store import Campaign, Store, _campaign_id

TO_FILL = "[à compléter]"


@dataclass(frozen=True)
class Section:
    """One heading of the record and its lines."""

    title: str
    lines: tuple[str, ...]


def processing_record(store: Store | None = None, campaign: Campaign | int | None = None, *, controller: str = TO_FILL,
                      contact: str = TO_FILL, host: str = TO_FILL, field_retention: str = "jusqu’à 6 mois après le dernier tour de scrutin",
                      today: date | None = None) -> list[Section]:
    """The record's sections. ``field_retention`` is the campaign's rule for the field log (enforced with :func:`canvass.campaign.purge.purge`)."""
    policy = store.throttle if store is not None else ThrottlePolicy()
    history_keep = store.history_keep if store is not None else 20
    database = {"sqlite": "un fichier SQLite sur le poste ou le serveur de la campagne",
                "postgresql": "une base PostgreSQL sur le serveur de la campagne"}.get(store.dialect if store else "", "SQLite ou PostgreSQL")
    outcomes = ", ".join(OUTCOMES)
    sections = [
        Section("Responsable du traitement", (
            f"Organisme : {controller}",
            f"Contact pour l’exercice des droits : {contact}",
            f"Hébergement des données : {host} ({database}).",
            f"Registre établi le {(today or date.today()):%d/%m/%Y} avec canvass.",
        )),
        Section("Finalités", (
            "Choisir les bureaux de vote et les rues où faire du porte-à-porte, à partir de données publiques agrégées.",
            "Répartir les bénévoles en équipes et leur remettre un itinéraire, une carte et une feuille de terrain.",
            "Suivre l’avancement du terrain (rues faites, portes frappées et ouvertes) pour préparer les séances suivantes.",
        )),
        Section("Base légale", (
            "Intérêt légitime de l’équipe de campagne à organiser sa campagne de terrain (art. 6.1.f du RGPD).",
            "Aucune opinion politique d’une personne identifiée n’est traitée : les réponses au porte-à-porte sont des comptes par rue.",
        )),
        Section("Catégories de données", (
            "Données publiques agrégées : résultats électoraux par bureau de vote, statistiques INSEE par IRIS, rues et numéros "
            "d’adresse (BAN, OpenStreetMap). Aucune liste électorale.",
            f"Relevés de terrain : par séance, équipe et tronçon de rue, nombres de portes frappées et ouvertes et comptes de réponses ({outcomes}).",
            "Aucune donnée individuelle d’électeur : ni nom, ni adresse d’une personne, ni réponse individuelle. L’import des feuilles "
            "de terrain refuse toute colonne autre que ces comptes (pas de nom, pas de commentaire libre).",
            "Organisateurs : prénom saisi à la connexion (pour l’historique des modifications) ; mot de passe de campagne, conservé "
            "uniquement sous forme d’empreinte argon2id.",
            "Tentatives de connexion erronées : empreinte SHA-256 tronquée de l’adresse IP et nombre d’essais.",
        )),
        Section("Personnes concernées", (
            "Organisateurs et bénévoles de la campagne (prénoms et noms d’équipe choisis par eux).",
            "Les électeurs ne sont concernés qu’à travers des données agrégées (bureau de vote, IRIS, rue).",
        )),
        Section("Durées de conservation", (
            f"Relevés de terrain : {field_retention} ; effacement avec « canvass purge --before AAAA-MM-JJ ».",
            f"Historique des enregistrements : les {history_keep} dernières versions de chaque document.",
            f"Tentatives de connexion erronées : {policy.forget_after / 3600:g} h après la dernière erreur, effacées dès la connexion suivante.",
            "Campagne entière (documents, historique, relevés) : effacement à la fin de la campagne avec « canvass purge --everything ».",
        )),
        Section("Destinataires", (
            "Les organisateurs de la campagne qui détiennent le mot de passe.",
            "Chaque équipe de bénévoles : la carte et la feuille de sa propre équipe seulement, par un lien aléatoire.",
            f"L’hébergeur des données ({host}), en qualité de sous-traitant. Aucun transfert hors de l’Union européenne {TO_FILL}.",
        )),
        Section("Mesures de sécurité", (
            "Accès aux données de campagne protégé par un mot de passe haché avec argon2id (fonction lente et salée).",
            f"Limitation des essais : après {policy.client_attempts} mots de passe erronés, blocage de {policy.lockout / 60:g} minutes, "
            f"doublé à chaque nouvelle erreur (au plus {policy.max_lockout / 60:g} minutes) ; blocage de toute la campagne après "
            f"{policy.campaign_attempts} erreurs toutes origines confondues.",
            "Comparaisons de mots de passe en temps constant ; liens des bénévoles formés de jetons aléatoires.",
            "Enregistrements dans des transactions : une sauvegarde interrompue (coupure, disque plein) ne laisse jamais de données à moitié écrites.",
            "Modifications concurrentes détectées : une sauvegarde n’écrase jamais celle d’un autre organisateur.",
            "Effacement sécurisé : les données purgées sont écrasées dans le fichier SQLite (secure_delete) et le journal est tronqué.",
            f"À la charge de la campagne : accès en HTTPS, sauvegardes chiffrées, postes à jour {TO_FILL}.",
        )),
    ]
    if store is not None and campaign is not None:
        sections.append(Section("État des données à la date du registre", _holdings(store, campaign)))
    return sections


def record_markdown(sections: list[Section]) -> str:
    """The record as Markdown (one ``##`` heading per section, a bullet per line)."""
    parts = ["# Registre des traitements — campagne de porte-à-porte (canvass)"]
    for section in sections:
        parts.append(f"## {section.title}\n\n" + "\n".join(f"- {line}" for line in section.lines))
    return "\n\n".join(parts) + "\n"


def record_html(sections: list[Section]) -> str:
    """The record as a standalone HTML page, to print or to keep."""
    body = "".join(
        f"<h2>{html.escape(section.title)}</h2><ul>{''.join(f'<li>{html.escape(line)}</li>' for line in section.lines)}</ul>"
        for section in sections
    )
    return ("<!DOCTYPE html><html lang=\"fr\"><head><meta charset=\"utf-8\"><title>Registre des traitements</title></head><body>"
            f"<h1>Registre des traitements — campagne de porte-à-porte (canvass)</h1>{body}</body></html>\n")


def _holdings(store: Store, campaign: Campaign | int) -> tuple[str, ...]:
    """What the store holds for the campaign: field entries and their dates, documents, history."""
    campaign_id = _campaign_id(campaign)
    events = t.field_events
    with store._read() as connection:
        count, oldest, newest = connection.execute(sa.select(sa.func.count(), sa.func.min(events.c.recorded_at), sa.func.max(events.c.recorded_at))
                                                   .where(events.c.campaign_id == campaign_id)).one()
        documents = connection.execute(sa.select(sa.func.count()).where(t.documents.c.campaign_id == campaign_id)).scalar_one()
    size = store.history_size(campaign_id)
    span = f", du {_day(oldest)} au {_day(newest)}" if count else ""
    return (
        f"Relevés de terrain : {count} ligne(s){span}.",
        f"Documents de campagne (territoire, stratégie, équipes, plans) : {documents}.",
        f"Historique : {size.entries} version(s), {size.bytes / 1e6:.1f} Mo.",
    )


def _day(text: str) -> str:
    return f"{datetime.fromisoformat(text):%d/%m/%Y}"
