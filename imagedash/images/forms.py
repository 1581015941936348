from django import forms


class LookupForm(forms.Form):
    # Any text at all: the one id validator (not the form) judges it, and the text is recorded.
    image_id = forms.CharField(
        label="Image id",
        required=False,
        strip=False,
        widget=forms.TextInput(
            attrs={
                "autofocus": True,
                "autocomplete": "off",
                "spellcheck": "false",
                "placeholder": "fd8… paste an image id",
                "size": 40,
            }
        ),
    )

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.fields["image_id"].validators = []  # not even Django's null-character check
