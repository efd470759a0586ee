"""Patient list, patient dialogs and the patient timeline."""
