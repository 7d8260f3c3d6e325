"""Language-aware wording shared by every layer (models, training, serving, dashboard, CLI):
numbers, percentages, marks and probability points in French and English (`wording.numbers`).
Depends on nothing of the project's, so any package may import it."""
