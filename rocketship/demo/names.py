"""Invented names and the demographic shares of the demo students."""

from dataclasses import dataclass

# --- Names ----------------------------------------------------------------------------------------
# Invented combinations drawn from names common in San Jose's East Side and similar Title I
# neighbourhoods, so screens, sorting and search look like a real roster (accents included).


def _names(text: str) -> tuple[str, ...]:
    return tuple(name.strip() for name in text.split(",") if name.strip())


@dataclass(frozen=True)
class NameGroup:
    student_weight: float
    staff_weight: float
    # How likely a student of this group is an English learner, relative to the others.
    el_propensity: float
    children: tuple[str, ...]
    adults: tuple[str, ...]
    surnames: tuple[str, ...]


NAME_GROUPS: dict[str, NameGroup] = {
    "latino": NameGroup(
        0.50,
        0.34,
        1.0,
        _names(
            """Sofía, Isabella, Camila, Valentina, Mia, Emily, Ximena, Natalia, Daniela, Valeria,
            Victoria, Génesis, Ashley, Alexa, Andrea, Jimena, Renata, Luciana, Fernanda, Guadalupe,
            Yaretzi, Citlali, Itzel, Jazmín, Marisol, Leilani, Aaliyah, Abigail, Arely, Dulce,
            Karla, Evelyn, Melanie, Nayeli, Yesenia, Santiago, Mateo, Sebastián, Diego, Emiliano,
            Leonardo, Adrián, Ángel, Jesús, José, Juan Carlos, Luis, Carlos, Miguel, Alejandro,
            Daniel, Gael, Iván, Jorge, Julián, Christopher, Kevin, Brandon, Anthony, Josué,
            Eduardo, Ricardo, Fernando, Joaquín, Axel, Iker, Damián, Rafael, Andrés, Elías,
            Uriel, Isaac, Aarón, Jonathan, Cristian, Óscar, Erick, Bryan"""
        ),
        _names(
            """María, Ana, Rosa, Verónica, Claudia, Patricia, Elena, Carmen, Gabriela, Adriana,
            Lucía, Mónica, Leticia, Alicia, Javier, Ricardo, Roberto, Francisco, Manuel, Óscar,
            Arturo, Raúl, Sergio, Héctor, Marco, Rubén"""
        ),
        _names(
            """García, Hernández, Martínez, López, González, Rodríguez, Pérez, Sánchez, Ramírez,
            Torres, Flores, Rivera, Gómez, Díaz, Cruz, Morales, Reyes, Gutiérrez, Ortiz, Chávez,
            Ruiz, Álvarez, Castillo, Jiménez, Moreno, Romero, Mendoza, Vásquez, Herrera, Medina,
            Aguilar, Vargas, Castro, Guzmán, Muñoz, Salazar, Contreras, Rojas, Estrada, Delgado,
            Navarro, Campos, Ávila, Ochoa, Cervantes, Zamora, Arellano, Barajas, Magaña,
            Villalobos, Padilla, Cisneros, Orozco, Robles, Ibarra, Valencia, Montoya, Espinoza,
            Juárez, Serrano, Trujillo, Soto, Luna, Ramos, Fuentes, Peña, Núñez, De la Rosa"""
        ),
    ),
    "vietnamese": NameGroup(
        0.14,
        0.12,
        1.0,
        _names(
            """Anh, Bảo, Đức, Hiếu, Huy, Khánh, Khoa, Minh, Nam, Phúc, Quân, Tâm, Thành, Tuấn,
            Vinh, Long, An, Châu, Hạnh, Hoa, Lan, Linh, Mai, My, Ngọc, Nhi, Phương, Thảo, Thủy,
            Trang, Vy, Yến, Kevin, Vivian, Tiffany, Ethan, Jenny, Kayla, Ryan, Justin"""
        ),
        _names("Thu, Hương, Liên, Tiến, Dũng, Quang, Hùng, Bình, Vivian, Kevin, Tina, Loan"),
        _names(
            """Nguyễn, Trần, Lê, Phạm, Hoàng, Phan, Vũ, Huỳnh, Võ, Đặng, Bùi, Đỗ, Hồ, Ngô,
            Dương, Lý, Trương, Đinh, Lâm, Mai, Trịnh, Lương, Tạ, Cao, La, Đoàn, Quách, Thái"""
        ),
    ),
    "filipino": NameGroup(
        0.08,
        0.10,
        0.5,
        _names(
            """Angelo, Carlo, Christian, Jericho, John Paul, Joshua, Mark Anthony, Miguel, Paolo,
            Rafael, Renz, Jasmine, Angelica, Bea, Camille, Czarina, Jhoanna, Kristine, Maricel,
            Nicole, Princess, Rhea, Trisha, Althea, Janelle, Aubrey, Francine, Bianca, Gabriel,
            Jayden"""
        ),
        _names("Maricel, Rowena, Jocelyn, Rodel, Ramon, Arnel, Liza, Marlon, Cherry, Teresita"),
        _names(
            """Santos, Reyes, Cruz, Bautista, Ocampo, Garcia, Mendoza, Tomas, Andrada, Villanueva,
            Ramos, Aquino, Navarro, Mercado, Dela Cruz, De Leon, Manalo, Pascual, Dimaculangan,
            Macaraeg, Sison, Tolentino, Gatchalian, Soriano, Agbayani, Cabrera, Lacson, Magbanua"""
        ),
    ),
    "african_american": NameGroup(
        0.09,
        0.15,
        0.05,
        _names(
            """Jaylen, Jamal, Malik, DeShawn, Darius, Isaiah, Elijah, Jalen, Marcus, Andre, Terrell,
            Xavier, Cameron, Micah, Kendrick, Khalil, Zion, Amani, Imani, Aaliyah, Nia, Jada,
            Kiara, Destiny, Makayla, Brianna, Zuri, Janiya, Aniyah, Layla, Nevaeh, Kennedy,
            Ebony, Tiana, Amara"""
        ),
        _names(
            """Tamika, Keisha, LaToya, Monique, Danielle, Andre, Darnell, Marcus, Reginald,
            Yolanda, Cedric, Denise"""
        ),
        _names(
            """Johnson, Williams, Brown, Jones, Jackson, Davis, Harris, Robinson, Thomas, Walker,
            Washington, Jefferson, Coleman, Brooks, Bell, Freeman, Franklin, Banks, Simmons,
            Mitchell, Carter, Turner, Hayes, Gaines, Battle, Dukes, Mosley, Boykin, Holloway"""
        ),
    ),
    "chinese": NameGroup(
        0.04,
        0.05,
        0.8,
        _names(
            """Ethan, Jason, Eric, Kevin, Andy, Alice, Angela, Grace, Emily, Chloe, Michelle, Wei,
            Yiting, Jiahui, Hao, Xin, Ming, Yuxuan, Tiffany, Lucas"""
        ),
        _names("Grace, Helen, Wei, Michael, Karen, Jason, Li Na"),
        _names("Chen, Wang, Li, Zhang, Liu, Huang, Lin, Wu, Zhao, Yang, Zhou, Lee, Chan, Wong"),
    ),
    "south_asian": NameGroup(
        0.03,
        0.04,
        0.5,
        _names(
            """Aarav, Arjun, Vihaan, Ishaan, Rohan, Aditya, Priya, Ananya, Diya, Saanvi, Isha,
            Kavya, Harpreet, Gurpreet, Simran, Navneet, Arnav"""
        ),
        _names("Priya, Neha, Raj, Sanjay, Anjali, Manpreet"),
        _names("Patel, Singh, Kaur, Sharma, Gupta, Reddy, Kumar, Shah, Sandhu, Gill, Dhillon, Rao"),
    ),
    "east_african": NameGroup(
        0.03,
        0.02,
        0.8,
        _names(
            """Abel, Dawit, Yonas, Samuel, Bereket, Hana, Selam, Meron, Liya, Eden, Ayaan, Hodan,
            Mohamed, Abdi, Fatima, Amina"""
        ),
        _names("Hana, Tigist, Dawit, Mulugeta, Amina"),
        _names(
            """Tesfaye, Bekele, Haile, Girma, Tadesse, Mengistu, Abebe, Gebremedhin, Hassan,
            Warsame, Yusuf, Osman, Farah"""
        ),
    ),
    "pacific_islander": NameGroup(
        0.03,
        0.02,
        0.3,
        _names("Sione, Tevita, Viliami, Losa, Mele, Salote, Lupe, Malia, Tavita, Keanu, Siosaia"),
        _names("Sione, Malia, Losana, Tevita"),
        _names("Taufa, Fifita, Tuipulotu, Vea, Mahe, Havili, Faleolo, Tuiasosopo, Fonoti, Leota"),
    ),
    "other": NameGroup(
        0.06,
        0.16,
        0.1,
        _names(
            """Liam, Noah, Oliver, Owen, Henry, Wyatt, Ava, Emma, Olivia, Charlotte, Harper, Lily,
            Nora, Zoe, Hailey, Caleb, Logan, Yusuf, Layla, Omar"""
        ),
        _names(
            """Jennifer, Sarah, Megan, Katherine, Rachel, Laura, Brian, Matthew, Andrew, Emily,
            David, Nadia, Omar, Erin"""
        ),
        _names(
            """Smith, Miller, Anderson, Wilson, Moore, Taylor, Clark, Lewis, Young, Hall, Allen,
            Wright, King, Scott, Baker, Nelson, Murphy, Kowalski, Petrov, Haddad, Nasser, Karimi"""
        ),
    ),
}

# Homerooms are named after colleges, as Rocketship does, to put college on every child's mind.
COLLEGES = _names(
    """Stanford, Howard, Berkeley, Spelman, UCLA, Morehouse, Santa Clara, San José State, Davis,
    Harvard, Yale, Princeton, Columbia, Georgetown, Tufts, Vanderbilt, Duke, Rice, Emory, Brown,
    Cornell, Dartmouth, Pomona, Tulane, Xavier, Hampton, Smith, Wellesley, Notre Dame, Oberlin,
    Santa Cruz, Riverside"""
)

# California's picture: more English learners in the early grades, reclassification later on.
EL_SHARE_BY_GRADE = {0: 0.52, 1: 0.48, 2: 0.42, 3: 0.38, 4: 0.32, 5: 0.28}
RECLASSIFIED_SHARE_BY_GRADE = {0: 0.0, 1: 0.02, 2: 0.06, 3: 0.10, 4: 0.14, 5: 0.16}
# Weights of emerging / expanding / bridging among current English learners, by grade.
EL_LEVEL_WEIGHTS_BY_GRADE = {
    0: (0.50, 0.35, 0.15),
    1: (0.40, 0.40, 0.20),
    2: (0.30, 0.45, 0.25),
    3: (0.25, 0.45, 0.30),
    4: (0.20, 0.40, 0.40),
    5: (0.15, 0.40, 0.45),
}
IEP_SHARE = 0.11
TIER_2_SHARE = 0.15
TIER_3_SHARE = 0.05
