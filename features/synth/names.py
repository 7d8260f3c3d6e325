"""Plausible, entirely synthetic names: students (French and Breton flavoured) and
establishments (an eponym and a town of the department).

Names are drawn independently of everything else: they carry no signal, and they belong to no
real person (the repository holds synthetic data only).
"""

from __future__ import annotations

import numpy as np

__all__ = ["FIRST_NAMES_F", "FIRST_NAMES_M", "LAST_NAMES", "establishment_names"]

FIRST_NAMES_F: tuple[str, ...] = (
    "Maëlle", "Emma", "Jade", "Louise", "Alice", "Chloé", "Lina", "Léa", "Manon", "Inès",
    "Camille", "Zoé", "Lou", "Ambre", "Anna", "Rose", "Juliette", "Clémence", "Nolwenn",
    "Gwenaëlle", "Enora", "Lilou", "Mila", "Sarah", "Romane", "Eva", "Nina", "Agathe",
    "Clara", "Lucie", "Océane", "Yasmine", "Maïwenn", "Morgane", "Louna", "Célia",
    "Margaux", "Elsa", "Lola", "Soizic", "Awa", "Salomé", "Mathilde", "Axelle", "Justine",
)  # fmt: skip
FIRST_NAMES_M: tuple[str, ...] = (
    "Gabriel", "Léo", "Raphaël", "Louis", "Arthur", "Jules", "Maël", "Lucas", "Hugo", "Noah",
    "Adam", "Nathan", "Tom", "Ethan", "Paul", "Sacha", "Timéo", "Malo", "Erwan", "Yann",
    "Gaël", "Killian", "Ewen", "Loïc", "Mathis", "Théo", "Enzo", "Baptiste", "Clément",
    "Alexis", "Antoine", "Maxime", "Yanis", "Mohamed", "Corentin", "Titouan", "Evan",
    "Gurvan", "Tristan", "Noé", "Axel", "Romain", "Quentin", "Samuel", "Elouan",
)  # fmt: skip
LAST_NAMES: tuple[str, ...] = (
    "Le Goff", "Le Gall", "Martin", "Bernard", "Guillou", "Le Roux", "Tanguy", "Morvan",
    "Le Bihan", "Jégou", "Thomas", "Petit", "Robert", "Richard", "Durand", "Dubois",
    "Moreau", "Simon", "Laurent", "Lefebvre", "Michel", "Garcia", "David", "Bertrand",
    "Roux", "Vincent", "Fournier", "Morel", "Girard", "André", "Mercier", "Dupont",
    "Lambert", "Bonnet", "François", "Martinez", "Le Corre", "Kerleau", "Le Meur",
    "Prigent", "Hamon", "Riou", "Le Floch", "Cariou", "Quéré", "Salaün", "Le Bris",
    "Nicolas", "Le Guen", "Collin", "Guégan", "Pichon", "Perrot", "Daniel", "Briand",
    "Lemoine", "Rolland", "Hervé", "Caradec", "Le Berre", "Gourvès", "Pennec", "Even",
    "Le Moal", "Kerboul", "Diallo", "Nguyen", "Benali", "Da Silva", "Lucas", "Gautier",
    "Boucher", "Chevalier", "Leroy", "Marchand", "Colin", "Garnier", "Faure", "Rousseau",
    "Blanc", "Guérin", "Muller", "Henry", "Roussel", "Mathieu", "Masson", "Le Roy",
    "Cadiou", "Guivarc'h", "Le Dantec", "Bourhis", "Kervella", "Le Hir", "Olivier",
)  # fmt: skip

_EPONYMS: tuple[str, ...] = (
    "Anne de Bretagne", "Jules Verne", "Victor Hugo", "Jean Moulin", "Chateaubriand",
    "Simone Veil", "Marie Curie", "Jean Jaurès", "Paul Langevin", "Louise Michel",
    "Jacques Prévert", "Albert Camus", "Pierre Mendès France", "Émile Zola", "Colette",
    "Anita Conti", "Tristan Corbière", "Max Jacob", "Per Jakez Hélias", "Surcouf",
    "Duguay-Trouin", "Bertrand du Guesclin", "Laënnec", "Yves Coppens", "Olympe de Gouges",
    "René Cassin", "Lucie Aubrac", "Paul Sérusier", "Xavier Grall", "Germaine Tillion",
    "Les Korrigans", "Les Gayeulles", "Les Hautes Ourmes", "La Harpe", "Kerichen",
    "Le Bocage", "Les Rimains", "Brocéliande", "Les Abers", "La Pérouse",
)  # fmt: skip
_TOWNS: dict[str, tuple[str, ...]] = {
    "35": ("Rennes", "Saint-Malo", "Fougères", "Vitré", "Redon", "Dinard", "Bruz",
           "Cesson-Sévigné", "Montfort-sur-Meu", "Combourg", "Janzé", "Guichen"),
    "29": ("Brest", "Quimper", "Morlaix", "Concarneau", "Landerneau", "Quimperlé",
           "Douarnenez", "Carhaix-Plouguer", "Landivisiau", "Pont-l'Abbé", "Crozon"),
    "56": ("Vannes", "Lorient", "Pontivy", "Auray", "Ploërmel", "Hennebont", "Lanester",
           "Questembert", "Guidel", "Josselin"),
    "22": ("Saint-Brieuc", "Lannion", "Dinan", "Guingamp", "Lamballe", "Loudéac",
           "Paimpol", "Plérin", "Quintin"),
}  # fmt: skip
_KIND_LABELS = ("Collège", "Lycée", "Lycée professionnel", "Lycée polyvalent")


def establishment_names(
    rng: np.random.Generator, kinds: np.ndarray, departments: list[str]
) -> list[str]:
    """ "Collège Jules Verne (Vitré)": one distinct eponym-town pair per establishment."""
    names: list[str] = []
    used: set[tuple[str, str]] = set()
    for kind, department in zip(kinds, departments, strict=True):
        towns = _TOWNS.get(department, ("Bourg",))
        for _ in range(1000):
            pair = (_EPONYMS[rng.integers(len(_EPONYMS))], towns[rng.integers(len(towns))])
            if pair not in used:
                break
        used.add(pair)
        names.append(f"{_KIND_LABELS[int(kind)]} {pair[0]} ({pair[1]})")
    return names
